"""The JSON API's authorisation matrix: every endpoint and every kind of caller → exactly the
expected answer, and nothing of another operator in what is allowed.

Sign-in itself is the OIDC code's business; here `current_user` is replaced by a stand-in that
returns the caller named in a test header (or 401 without one), so each cell exercises the real
routing, validation, domain rules and database.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import HTTPException, Request

from gatehouse_registry.auth.access_tokens import MachineToken
from gatehouse_registry.auth.dependencies import RegistryUser, current_machine
from gatehouse_registry.operators import decisions as operator_decisions
from gatehouse_registry.roles import decisions
from gatehouse_registry.roles import service as roles
from gatehouse_registry.roles.models import Application
from gatehouse_registry.web_services import service as web_services
from gatehouse_registry.web_services.models import NewAccessRequest

from .conftest import FAKE_IDENTITY, SJV_IEK

ACTORS = (
    "anonymous",
    "no_role",
    "pending_user",
    "valid_user",
    "admin_a",
    "admin_b",
    "authority_in",
    "authority_out",
)


@dataclass
class World:
    users: dict[str, RegistryUser]
    operator_a: uuid.UUID
    operator_b: uuid.UUID
    operator_c: uuid.UUID  # pending, created by someone else
    pending_request: uuid.UUID  # pending_user's request to join A
    valid_role: uuid.UUID  # valid_user's approved role in A
    address_a: uuid.UUID
    ws_pending: uuid.UUID  # admin_a's web-service request for A, pending
    ws_approved: uuid.UUID  # admin_a's web-service request for A, approved by authority_in
    client_a: str  # a machine client of A (under ws_approved)
    client_b: str  # a machine client of B
    client_a_revoked: str


WS_REQUEST = NewAccessRequest(
    system_name="Affärssystemet", contact_email="it@example.se", purpose="Read our users"
)


async def _approved_client(
    db: Any, admin: RegistryUser, authority: RegistryUser, operator_id: uuid.UUID
) -> tuple[uuid.UUID, str]:
    asked = await web_services.request_access(
        db, actor=admin, operator_id=operator_id, request=WS_REQUEST
    )
    await web_services.decide_access(db, actor=authority, request_id=asked.id, approve=True)
    created = await web_services.create_client(
        db,
        actor=admin,
        request_id=asked.id,
        scopes=["operators.read", "roles.read"],
        jwks=None,
        identity=FAKE_IDENTITY,
    )
    return asked.id, created.client.client_id


@pytest.fixture
async def world(db: Any, make_user: Any, make_admin_of: Any, create_operator: Any) -> World:
    authority_in = await make_admin_of(SJV_IEK, "Ingrid Inom")
    authority_out = await make_admin_of("SE-SKS", "Otto Utanför")  # Skogsstyrelsen: timber
    admin_a = await make_user("Anna A")
    admin_b = await make_user("Bengt B")
    created_a = await create_operator(admin_a, name="Alfa Frukt AB")
    created_b = await create_operator(admin_b, name="Beta Grönt AB")
    for created in (created_a, created_b):
        await operator_decisions.validate_operator(
            db, actor=authority_in, operator_id=created.operator.id
        )
        await decisions.approve_role_request(
            db, actor=authority_in, role_request_id=created.role_request_id
        )
    valid_user = await make_user("Vera Giltig")
    joined = await roles.request_role(
        db, actor=valid_user, organization_id=created_a.operator.id, application=Application()
    )
    await decisions.approve_role_request(db, actor=admin_a, role_request_id=joined.id)
    pending_user = await make_user("Per Väntar")
    waiting = await roles.request_role(
        db, actor=pending_user, organization_id=created_a.operator.id, application=Application()
    )
    created_c = await create_operator(await make_user("Carl C"), name="Gamma Blommor AB")
    ws_pending = await web_services.request_access(
        db, actor=admin_a, operator_id=created_a.operator.id, request=WS_REQUEST
    )
    ws_approved, client_a = await _approved_client(db, admin_a, authority_in, created_a.operator.id)
    _, client_b = await _approved_client(db, admin_b, authority_in, created_b.operator.id)
    _, client_a_revoked = await _approved_client(db, admin_a, authority_in, created_a.operator.id)
    await web_services.revoke_client(
        db, actor=admin_a, client_id=client_a_revoked, reason="old", identity=FAKE_IDENTITY
    )
    return World(
        users={
            "no_role": await make_user("Nils Ingenroll"),
            "pending_user": pending_user,
            "valid_user": valid_user,
            "admin_a": admin_a,
            "admin_b": admin_b,
            "authority_in": authority_in,
            "authority_out": authority_out,
        },
        operator_a=created_a.operator.id,
        operator_b=created_b.operator.id,
        operator_c=created_c.operator.id,
        pending_request=waiting.id,
        valid_role=joined.id,
        address_a=created_a.operator.addresses[0].id,
        ws_pending=ws_pending.id,
        ws_approved=ws_approved,
        client_a=client_a,
        client_b=client_b,
        client_a_revoked=client_a_revoked,
    )


@pytest.fixture
async def client(open_client: Any, world: World) -> AsyncIterator[httpx.AsyncClient]:
    async def test_machine(request: Request) -> MachineToken:
        name = request.headers.get("x-test-machine", "")
        if name not in MACHINES:
            raise HTTPException(status_code=401, detail="no machine token")
        client_of, scopes = MACHINES[name]
        return MachineToken(
            client_id=getattr(world, client_of),
            operator_id=world.operator_b if client_of == "client_b" else world.operator_a,
            scopes=frozenset(scopes),
            expires_at=4_000_000_000.0,
        )

    async with open_client(world.users, {current_machine: test_machine}) as http:
        yield http


ACTIVITY = {
    "chapter_code": "organic",
    "section_code": "ORGANIC",
    "activity_type_code": "ORGANIC IMPORTER",
    "identification_code": "ORG-1",
    "valid_from": "2025-01-01",
    "competent_authority_id": "6f0e4bb4-2d4c-4d7e-9a37-0c7d4a6c1a02",  # Livsmedelsverket
}

Call = Callable[[World], tuple[str, str, dict[str, Any] | None]]
# endpoint name → (request, expected status per actor except anonymous, which is always 401)
MATRIX: dict[str, tuple[Call, dict[str, int]]] = {
    "search operators": (
        lambda _: ("GET", "/api/v1/operators?country=SE&q=frukt", None),
        dict.fromkeys(ACTORS[1:], 200),
    ),
    "read operator A": (
        lambda w: ("GET", f"/api/v1/operators/{w.operator_a}", None),
        {
            "no_role": 403,
            "pending_user": 403,
            "valid_user": 200,
            "admin_a": 200,
            "admin_b": 403,
            "authority_in": 200,
            "authority_out": 403,
        },
    ),
    "list users of A": (
        lambda w: ("GET", f"/api/v1/organizations/{w.operator_a}/users", None),
        {
            "no_role": 403,
            "pending_user": 403,
            "valid_user": 403,
            "admin_a": 200,
            "admin_b": 403,
            "authority_in": 200,
            "authority_out": 403,
        },
    ),
    "read a pending request to A": (
        lambda w: ("GET", f"/api/v1/role-requests/{w.pending_request}", None),
        {
            "no_role": 403,
            "pending_user": 200,  # their own
            "valid_user": 403,
            "admin_a": 200,
            "admin_b": 403,
            "authority_in": 200,
            "authority_out": 403,
        },
    ),
    "approve a request to A": (
        lambda w: ("POST", f"/api/v1/role-requests/{w.pending_request}/approve", None),
        {
            "no_role": 403,
            "pending_user": 403,  # themselves
            "valid_user": 403,
            "admin_a": 200,
            "admin_b": 403,
            "authority_in": 200,
            "authority_out": 403,
        },
    ),
    "reject a request to A": (
        lambda w: (
            "POST",
            f"/api/v1/role-requests/{w.pending_request}/reject",
            {"reason": "unknown"},
        ),
        {
            "no_role": 403,
            "pending_user": 403,
            "valid_user": 403,
            "admin_a": 200,
            "admin_b": 403,
            "authority_in": 200,
            "authority_out": 403,
        },
    ),
    "make a user of A administrator": (
        lambda w: ("PUT", f"/api/v1/role-requests/{w.valid_role}/administrator", None),
        {
            "no_role": 403,
            "pending_user": 403,
            "valid_user": 403,
            "admin_a": 200,
            "admin_b": 403,
            "authority_in": 200,
            "authority_out": 403,
        },
    ),
    "revoke a user of A": (
        lambda w: ("POST", f"/api/v1/role-requests/{w.valid_role}/revoke", {"reason": "left"}),
        {
            "no_role": 403,
            "pending_user": 403,
            "valid_user": 403,  # their own role
            "admin_a": 200,
            "admin_b": 403,
            "authority_in": 200,
            "authority_out": 403,
        },
    ),
    "validate pending operator C": (
        lambda w: ("POST", f"/api/v1/operators/{w.operator_c}/validate", None),
        {
            "no_role": 403,
            "pending_user": 403,
            "valid_user": 403,
            "admin_a": 403,
            "admin_b": 403,
            "authority_in": 200,
            "authority_out": 403,
        },
    ),
    "add an activity to A": (
        lambda w: (
            "POST",
            f"/api/v1/operators/{w.operator_a}/activities",
            {**ACTIVITY, "address_id": str(w.address_a)},
        ),
        {
            "no_role": 403,
            "pending_user": 403,
            "valid_user": 403,
            "admin_a": 201,
            "admin_b": 403,
            "authority_in": 403,
            "authority_out": 403,
        },
    ),
    "search pending applications": (
        lambda _: ("GET", "/api/v1/role-requests", None),
        {
            "no_role": 403,
            "pending_user": 403,
            "valid_user": 403,
            "admin_a": 200,
            "admin_b": 200,
            "authority_in": 200,
            "authority_out": 200,
        },
    ),
    "read the audit trail of A": (
        lambda w: ("GET", f"/api/v1/audit?organization_id={w.operator_a}", None),
        {
            "no_role": 403,
            "pending_user": 403,
            "valid_user": 403,
            "admin_a": 200,
            "admin_b": 200,
            "authority_in": 200,
            "authority_out": 200,
        },
    ),
    "ask web-service access for A": (
        lambda w: (
            "POST",
            f"/api/v1/operators/{w.operator_a}/web-service-requests",
            {"system_name": "ERP", "contact_email": "it@example.se", "purpose": "Read users"},
        ),
        {**dict.fromkeys(ACTORS[1:], 403), "admin_a": 201},
    ),
    "list web services of A": (
        lambda w: ("GET", f"/api/v1/operators/{w.operator_a}/web-service-requests", None),
        {**dict.fromkeys(ACTORS[1:], 403), "admin_a": 200, "authority_in": 200},
    ),
    "read a web-service request of A": (
        lambda w: ("GET", f"/api/v1/web-service-requests/{w.ws_pending}", None),
        {**dict.fromkeys(ACTORS[1:], 404), "admin_a": 200, "authority_in": 200},
    ),
    "approve web-service access of A": (
        lambda w: ("POST", f"/api/v1/web-service-requests/{w.ws_pending}/approve", None),
        {**dict.fromkeys(ACTORS[1:], 403), "authority_in": 200},
    ),
    "reject web-service access of A": (
        lambda w: (
            "POST",
            f"/api/v1/web-service-requests/{w.ws_pending}/reject",
            {"reason": "no purpose"},
        ),
        {**dict.fromkeys(ACTORS[1:], 403), "authority_in": 200},
    ),
    "revoke web-service access of A": (
        lambda w: (
            "POST",
            f"/api/v1/web-service-requests/{w.ws_approved}/revoke",
            {"reason": "contract ended"},
        ),
        {**dict.fromkeys(ACTORS[1:], 403), "authority_in": 200},
    ),
    "create a machine client of A": (
        lambda w: (
            "POST",
            f"/api/v1/web-service-requests/{w.ws_approved}/clients",
            {"scopes": ["operators.read"]},
        ),
        {**dict.fromkeys(ACTORS[1:], 404), "admin_a": 201},
    ),
    "rotate a machine client of A": (
        lambda w: ("POST", f"/api/v1/machine-clients/{w.client_a}/keys", {}),
        {**dict.fromkeys(ACTORS[1:], 404), "admin_a": 200},
    ),
    "revoke a machine client of A": (
        lambda w: (
            "POST",
            f"/api/v1/machine-clients/{w.client_a}/revoke",
            {"reason": "key lost"},
        ),
        {**dict.fromkeys(ACTORS[1:], 404), "admin_a": 200},
    ),
    "my profile": (lambda _: ("GET", "/api/v1/me", None), dict.fromkeys(ACTORS[1:], 200)),
    "reference data": (
        lambda _: ("GET", "/api/v1/chapters", None),
        dict.fromkeys(ACTORS[1:], 200),
    ),
}
CELLS = [(endpoint, actor) for endpoint in MATRIX for actor in ACTORS]


@pytest.mark.parametrize(("endpoint", "actor"), CELLS, ids=[f"{e}|{a}" for e, a in CELLS])
async def test_authorisation_matrix(
    client: httpx.AsyncClient, world: World, endpoint: str, actor: str
) -> None:
    make_call, expected_by_actor = MATRIX[endpoint]
    method, path, body = make_call(world)
    expected = 401 if actor == "anonymous" else expected_by_actor[actor]
    response = await client.request(method, path, json=body, headers={"x-test-actor": actor})
    assert response.status_code == expected, response.text
    if expected >= 400:
        return
    # Whatever is allowed shows nothing of operator A to those outside its scope (a pending
    # user sees their own request, which names A, and nothing more: see "read operator A").
    outside_a = actor in {"no_role", "admin_b", "authority_out"}
    if outside_a and endpoint != "search operators":
        assert str(world.operator_a) not in response.text
        assert str(world.pending_request) not in response.text


# The machine API: a machine client's token (its client, operator and scopes) → the answer.
MACHINES: dict[str, tuple[str, tuple[str, ...]]] = {
    "client_a": ("client_a", ("operators.read", "roles.read")),
    "client_a_operators_only": ("client_a", ("operators.read",)),
    "client_a_roles_only": ("client_a", ("roles.read",)),
    "client_b": ("client_b", ("operators.read", "roles.read")),
    "client_a_revoked": ("client_a_revoked", ("operators.read", "roles.read")),
}
MACHINE_MATRIX: dict[str, tuple[Callable[[World], str], dict[str, int]]] = {
    "read operator A": (
        lambda w: f"/api/v1/machine/operators/{w.operator_a}",
        {
            "client_a": 200,
            "client_a_operators_only": 200,
            "client_a_roles_only": 403,
            "client_b": 404,
            "client_a_revoked": 401,
        },
    ),
    "list activities of A": (
        lambda w: f"/api/v1/machine/operators/{w.operator_a}/activities",
        {
            "client_a": 200,
            "client_a_operators_only": 200,
            "client_a_roles_only": 403,
            "client_b": 404,
            "client_a_revoked": 401,
        },
    ),
    "list users of A": (
        lambda w: f"/api/v1/machine/operators/{w.operator_a}/users",
        {
            "client_a": 200,
            "client_a_operators_only": 403,
            "client_a_roles_only": 200,
            "client_b": 404,
            "client_a_revoked": 401,
        },
    ),
}
MACHINE_CELLS = [
    (endpoint, caller) for endpoint in MACHINE_MATRIX for caller in ("anonymous", *MACHINES)
]


@pytest.mark.parametrize(
    ("endpoint", "caller"), MACHINE_CELLS, ids=[f"{e}|{c}" for e, c in MACHINE_CELLS]
)
async def test_machine_authorisation_matrix(
    client: httpx.AsyncClient, world: World, db: Any, endpoint: str, caller: str
) -> None:
    path_of, expected_by_caller = MACHINE_MATRIX[endpoint]
    expected = 401 if caller == "anonymous" else expected_by_caller[caller]
    # A person's session is no machine token.
    response = await client.get(
        path_of(world), headers={"x-test-machine": caller, "x-test-actor": "admin_a"}
    )
    assert response.status_code == expected, response.text
    if expected == 403:
        assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
    if expected == 200:
        assert str(world.operator_b) not in response.text
    if caller != "anonymous":
        # Every machine call, answered or refused, is audited with the client id.
        client_id = getattr(world, MACHINES[caller][0])
        found = await db.fetchval(
            "SELECT count(*) FROM audit_log WHERE details->>'client_id' = $1"
            " AND action IN ('machine.read', 'machine.refused')",
            client_id,
        )
        assert found == 1


async def test_search_pending_applications_is_scoped(
    client: httpx.AsyncClient, world: World
) -> None:
    lists = {
        actor: (await client.get("/api/v1/role-requests", headers={"x-test-actor": actor})).json()
        for actor in ("admin_a", "admin_b", "authority_in", "authority_out")
    }
    assert [r["id"] for r in lists["admin_a"]] == [str(world.pending_request)]
    assert lists["admin_b"] == []
    assert lists["authority_out"] == []
    ids = {r["id"] for r in lists["authority_in"]}
    assert str(world.pending_request) in ids
    # The authority also sees the first user's request of pending operator C, nobody else does.
    assert {r["organization_id"] for r in lists["authority_in"]} == {
        str(world.operator_a),
        str(world.operator_c),
    }


async def test_audit_export_is_csv_of_my_scope(client: httpx.AsyncClient, world: World) -> None:
    response = await client.get("/api/v1/audit.csv", headers={"x-test-actor": "admin_a"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.text.strip().splitlines()
    assert lines[0].startswith("id,occurred_at,actor_user_id,actor_name,action")
    assert any("role_request.approved" in line for line in lines[1:])
    assert str(world.operator_b) not in response.text


async def test_bad_input_is_a_clear_4xx_naming_the_field(
    client: httpx.AsyncClient, world: World, db: Any
) -> None:
    headers = {"x-test-actor": "no_role"}
    body = {
        "name": "Delta AB",
        "addresses": [
            {
                "street": "Storgatan 1",
                "postal_code": "111 22",
                "city": "Stockholm",
                "country_code": "SE",
                "main": True,
            }
        ],
        "contacts": [
            {"kind": "phone", "value": "+46 8 123456"},
            {"kind": "email", "value": "delta@example.se"},
        ],
        "identifiers": [{"type": "national_registration_number", "value": "556036-0794"}],
        "activity": {
            "chapter_code": "plant_health",
            "section_code": "EUPO",
            "activity_type_code": "EUPO",
            "identification_code": "5560360794",
            "valid_from": "2025-01-01",
            "competent_authority_id": "6f0e4bb4-2d4c-4d7e-9a37-0c7d4a6c1a01",
            "address_index": 0,
        },
    }
    before = await db.fetchval("SELECT count(*) FROM organizations")

    async def post(payload: Any) -> httpx.Response:
        return await client.post("/api/v1/operators", json=payload, headers=headers)

    refused = await post(body)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "identifiers", 0, "value"]

    dates = {**body, "activity": {**body["activity"], "valid_to": "2024-12-31"}}
    dates["identifiers"] = [{"type": "vat", "value": "SE556036079301"}]
    refused = await post(dates)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "activity", "valid_to"]

    unknown = {**body, "activity": {**body["activity"], "section_code": "NOPE"}}
    unknown["identifiers"] = [{"type": "eori", "value": "SE5560360793"}]
    refused = await post(unknown)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "activity", "section_code"]

    # Every problem at once, each with its field and code, as FastAPI lists its own.
    several = {**dates, "identifiers": body["identifiers"]}
    refused = await post(several)
    assert refused.status_code == 422
    assert refused.json()["code"] == "invalid_fields"
    assert [(p["loc"], p["code"]) for p in refused.json()["detail"]] == [
        (["body", "identifiers", 0, "value"], "invalid_identifier"),
        (["body", "activity", "valid_to"], "valid_to_before_valid_from"),
    ]

    extra = {**body, "surprise": 1}
    assert (await post(extra)).status_code == 422
    malformed = await client.post(
        "/api/v1/operators",
        content=b'{"name": ',
        headers={**headers, "content-type": "application/json"},
    )
    assert malformed.status_code == 422
    oversized = await client.post(
        "/api/v1/operators",
        content=b'{"name": "' + b"x" * 70_000 + b'"}',
        headers={**headers, "content-type": "application/json"},
    )
    assert oversized.status_code == 413
    assert (await client.get("/api/v1/operators?country=XX", headers=headers)).status_code == 422
    assert (
        await client.get("/api/v1/operators?country=sweden", headers=headers)
    ).status_code == 422
    assert await db.fetchval("SELECT count(*) FROM organizations") == before


async def test_openapi_describes_the_api(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    assert "/api/v1/operators" in schema["paths"]
    assert "/api/v1/role-requests/{role_request_id}/approve" in schema["paths"]


async def test_request_authorisation_page_offers_the_four_kinds(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/request-authorisation", headers={"x-test-actor": "no_role"})
    assert page.status_code == 200
    assert "You currently have no role that gives access." in page.text
    for label in ("Operator", "Organic control body", "Authority", "Other entity"):
        assert f"<strong>{label}</strong>" in page.text
    pending = await client.get("/request-authorisation", headers={"x-test-actor": "pending_user"})
    assert "The roles you requested are being reviewed." in pending.text
    valid = await client.get("/request-authorisation", headers={"x-test-actor": "admin_a"})
    assert 'id="notice"' not in valid.text


async def test_operator_search_page_shows_name_address_activities(
    client: httpx.AsyncClient, world: World
) -> None:
    page = await client.get(
        "/request-authorisation/operator",
        params={"country": "SE", "q": "Alfa Frukt", "section": "EUPO"},
        headers={"x-test-actor": "no_role"},
    )
    assert page.status_code == 200
    assert f'data-operator-id="{world.operator_a}"' in page.text
    assert "Hamngatan 1" in page.text
    assert "(EUPO)" in page.text
    none = await client.get(
        "/request-authorisation/operator",
        params={"country": "SE", "q": "Finns Inte Alls"},
        headers={"x-test-actor": "no_role"},
    )
    assert 'id="no-results"' in none.text
