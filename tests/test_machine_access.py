"""Machine access the TRACES way (issue 19, points 1-2), across the running system: an
operator's administrator asks for web-service access, the competent authority approves it, the
administrator creates a machine client in identity with the company's public key, the machine
reads its operator's data with a client_credentials token (requests-oauth2client, as the README's
example does) and is refused another operator's, and once the key is revoked it is refused too.
Every step is in the audit trail and in someone's mailbox.

The people and operators are `make demo`'s: Olof administers Nordfrukt Import AB and Sydplant
Handel AB, whose competent authority Ingrid belongs to."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
import requests
from grpc import aio
from jwskate import Jwk
from requests_oauth2client import (
    DPoPToken,
    InvalidClient,
    InvalidScope,
    OAuth2Client,
    PrivateKeyJwt,
)

from gatehouse.identity.v1 import client_service_pb2 as pb
from gatehouse.identity.v1 import client_service_pb2_grpc as pb_grpc
from gatehouse_common.service_auth import authenticated_channel
from gatehouse_devstack.demo import DemoData, DemoPerson, load_demo_data
from gatehouse_devstack.mailbox_client import MailboxClient
from gatehouse_devstack.stack import Stack
from tests.journeys import Account
from tests.oidc_helpers import Browser, raise_session_level, sign_in

EXAMPLE = Path(__file__).parents[1] / "scripts" / "machine_client_example.py"
MY_DATA_JSON = "/profile/my-data/gatehouse-registry-my-data.json"
pytestmark = [pytest.mark.stack, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


@pytest.fixture(scope="module")
def demo(stack: Stack) -> DemoData:
    return load_demo_data(stack)


def registry_session(stack: Stack, person: DemoPerson) -> Browser:
    """A browser signed in to the registry as `person` at multi-factor level (the identity
    session raised as tests/oidc_helpers.raise_session_level says)."""
    browser = Browser()
    account = Account(person.email, person.password, person.first_name, person.last_name, "sv")
    sign_in(stack, browser, account)
    raise_session_level(
        stack.database_urls["identity"], browser, level="multi_factor", amr=["pwd", "otp", "mfa"]
    )
    _, page = browser.navigate(f"{stack.registry_url}/auth/profile")
    assert page is not None
    assert page.status_code == 200, page.text
    return browser


@pytest.fixture(scope="module")
def olof(stack: Stack, demo: DemoData) -> Iterator[Browser]:
    browser = registry_session(stack, demo.person("olof"))
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def ingrid(stack: Stack, demo: DemoData) -> Iterator[Browser]:
    browser = registry_session(stack, demo.person("ingrid"))
    yield browser
    browser.close()


def api(stack: Stack, browser: Browser, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return browser.request(
        method, f"{stack.registry_url}{path}", headers={"Accept": "application/json"}, **kwargs
    )


def operators_of(stack: Stack, olof: Browser) -> dict[str, str]:
    roles = api(stack, olof, "GET", "/api/v1/me/role-requests")
    assert roles.status_code == 200, roles.text
    return {
        role["organization_name"]: role["organization_id"]
        for role in roles.json()
        if role["administrator"]
    }


def machine(stack: Stack, client_id: str, key: Jwk) -> OAuth2Client:
    """The operator's system, as the README's example client builds it."""
    return OAuth2Client(
        token_endpoint=f"{stack.identity_url}/oidc/token",
        auth=PrivateKeyJwt(client_id, private_jwk=key),
        testing=True,  # http on loopback
    )


def ask_and_approve(
    stack: Stack, olof: Browser, ingrid: Browser, operator_id: str, system: str
) -> str:
    asked = api(
        stack,
        olof,
        "POST",
        f"/api/v1/operators/{operator_id}/web-service-requests",
        json={
            "system_name": system,
            "contact_email": "it@nordfrukt.example.se",
            "purpose": "Our ERP reads who may sign for us.",
        },
    )
    assert asked.status_code == 201, asked.text
    request_id: str = asked.json()["id"]
    approved = api(stack, ingrid, "POST", f"/api/v1/web-service-requests/{request_id}/approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    return request_id


def audit_actions(stack: Stack, browser: Browser, operator_id: str) -> list[dict[str, Any]]:
    found = api(stack, browser, "GET", f"/api/v1/audit?organization_id={operator_id}&limit=500")
    assert found.status_code == 200, found.text
    entries: list[dict[str, Any]] = found.json()
    return entries


def test_request_approval_key_call_refusals_and_revocation(
    stack: Stack,
    *,
    demo: DemoData,
    olof: Browser,
    ingrid: Browser,
    mailbox: MailboxClient,
    tmp_path: Path,
) -> None:
    operators = operators_of(stack, olof)
    nordfrukt, sydplant = operators["Nordfrukt Import AB"], operators["Sydplant Handel AB"]
    system = f"Affärssystemet {uuid.uuid4().hex[:6]}"

    # Bad input names the field; nobody but the administrator asks, nobody but the authority
    # decides.
    bad = api(
        stack,
        olof,
        "POST",
        f"/api/v1/operators/{nordfrukt}/web-service-requests",
        json={"system_name": system, "contact_email": "not an address", "purpose": "x"},
    )
    assert bad.status_code == 422
    assert "contact_email" in json.dumps(bad.json())
    asked = api(
        stack,
        olof,
        "POST",
        f"/api/v1/operators/{nordfrukt}/web-service-requests",
        json={"system_name": system, "contact_email": "it@nordfrukt.example.se", "purpose": "ERP"},
    )
    assert asked.status_code == 201, asked.text
    request_id = asked.json()["id"]
    assert asked.json()["status"] == "pending"
    own = api(stack, olof, "POST", f"/api/v1/web-service-requests/{request_id}/approve")
    assert own.status_code == 403, own.text
    early = api(
        stack,
        olof,
        "POST",
        f"/api/v1/web-service-requests/{request_id}/clients",
        json={"scopes": ["operators.read"]},
    )
    assert early.status_code == 409, early.text
    (received,) = mailbox.wait_for(
        to=demo.person("ingrid").email, subject_contains="ansöker om åtkomst till webbtjänsterna"
    )
    assert system in received.text

    approved = api(stack, ingrid, "POST", f"/api/v1/web-service-requests/{request_id}/approve")
    assert approved.status_code == 200, approved.text
    mailbox.wait_for(
        to=demo.person("olof").email,
        subject_contains="Åtkomsten till webbtjänsterna för Nordfrukt Import AB har godkänts",
    )

    # The key: private material is refused naming where it is; the public key is accepted.
    key = Jwk.generate(alg="ES256").with_kid_thumbprint()
    leaked = api(
        stack,
        olof,
        "POST",
        f"/api/v1/web-service-requests/{request_id}/clients",
        json={"scopes": ["operators.read"], "jwks": json.dumps({"keys": [key.to_dict()]})},
    )
    assert leaked.status_code == 422, leaked.text
    assert "jwks" in json.dumps(leaked.json())
    created = api(
        stack,
        olof,
        "POST",
        f"/api/v1/web-service-requests/{request_id}/clients",
        json={
            "scopes": ["operators.read", "roles.read"],
            "jwks": json.dumps({"keys": [key.public_jwk().to_dict()]}),
        },
    )
    assert created.status_code == 201, created.text
    client_id = created.json()["client_id"]
    assert created.json()["token_endpoint_auth_method"] == "private_key_jwt"
    assert created.json()["client_secret"] is None
    mailbox.wait_for(
        to=demo.person("olof").email, subject_contains="En maskinklient skapades för Nordfrukt"
    )

    # The machine's call: its token carries the operator and the scopes.
    system_client = machine(stack, client_id, key)
    token = system_client.client_credentials(scope="operators.read roles.read")
    assert token.access_token
    claims = json.loads(base64.urlsafe_b64decode(token.access_token.split(".")[1] + "=="))
    assert claims["operator_id"] == nordfrukt
    assert set(claims["scope"].split()) == {"operators.read", "roles.read"}
    bearer = {"Authorization": f"Bearer {token.access_token}"}
    with httpx.Client(base_url=stack.registry_url, headers=bearer, timeout=30) as registry:
        own_data = registry.get(f"/api/v1/machine/operators/{nordfrukt}")
        assert own_data.status_code == 200, own_data.text
        assert own_data.json()["name"] == "Nordfrukt Import AB"
        users = registry.get(f"/api/v1/machine/operators/{nordfrukt}/users")
        assert users.status_code == 200, users.text
        assert demo.person("olof").email in {user["user_email"] for user in users.json()}
        activities = registry.get(f"/api/v1/machine/operators/{nordfrukt}/activities")
        assert activities.status_code == 200, activities.text
        assert activities.json()
        # Another operator's data (Olof administers it too): refused.
        other = registry.get(f"/api/v1/machine/operators/{sydplant}")
        assert other.status_code == 404, other.text
        assert registry.get(f"/api/v1/machine/operators/{sydplant}/users").status_code == 404
        # A person's endpoints do not take a machine's token.
        assert registry.get("/api/v1/me").status_code == 401

    # The README's example script does the same from the command line.
    key_file = tmp_path / "machine-key.json"
    key_file.write_text(json.dumps(key.to_dict()), "utf-8")
    example = subprocess.run(
        [
            sys.executable,
            str(EXAMPLE),
            "--key-file",
            str(key_file),
            "read",
            *("--client-id", client_id, "--operator-id", nordfrukt),
            *("--identity", stack.identity_url, "--registry", stack.registry_url),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert example.returncode == 0, example.stderr
    assert "operator: Nordfrukt Import AB" in example.stdout
    assert f"user: {demo.person('olof').full_name}" in example.stdout

    # A token without roles.read is refused the users (insufficient_scope).
    narrow = system_client.client_credentials(scope="operators.read")
    narrow_headers = {"Authorization": f"Bearer {narrow.access_token}"}
    refused = httpx.get(
        f"{stack.registry_url}/api/v1/machine/operators/{nordfrukt}/users", headers=narrow_headers
    )
    assert refused.status_code == 403, refused.text
    assert 'error="insufficient_scope"' in refused.headers["www-authenticate"]
    # A scope the client was not given is not issued at all.
    with pytest.raises(InvalidScope):
        system_client.client_credentials(scope="operators.write")

    # The administrator revokes the key: the very token that worked is refused at once, and
    # identity issues no new one.
    revoked = api(
        stack,
        olof,
        "POST",
        f"/api/v1/machine-clients/{client_id}/revoke",
        json={"reason": "The laptop with the key was stolen"},
    )
    assert revoked.status_code == 200, revoked.text
    after = httpx.get(f"{stack.registry_url}/api/v1/machine/operators/{nordfrukt}", headers=bearer)
    assert after.status_code == 401, after.text
    with pytest.raises(InvalidClient):
        system_client.client_credentials(scope="operators.read")
    mailbox.wait_for(
        to=demo.person("olof").email, subject_contains="En maskinklient hos Nordfrukt Import AB"
    )

    # Every step is in the trail, the machine's calls with its client id.
    entries = audit_actions(stack, olof, nordfrukt)
    mine = [e for e in entries if e["subject_id"] == request_id or e["details"].get("client_id")]
    actions = {e["action"] for e in mine}
    assert {
        "web_service_access.requested",
        "web_service_access.approved",
        "machine_client.created",
        "machine_client.revoked",
        "machine.read",
        "machine.refused",
    } <= actions, actions
    reads = [e for e in mine if e["action"] == "machine.read"]
    assert all(e["details"]["client_id"] == client_id for e in reads)
    assert {e["details"]["read"] for e in reads} >= {"operator", "users", "activities"}
    assert all(e["actor_name"] == f"machine client {client_id}" for e in reads)
    refusals = {e["details"]["refused"] for e in mine if e["action"] == "machine.refused"}
    assert {"not_found", "insufficient_scope", "machine_client_not_active"} <= refusals


def test_a_secret_client_goes_with_the_access_the_authority_revokes(
    stack: Stack, demo: DemoData, olof: Browser, ingrid: Browser, mailbox: MailboxClient
) -> None:
    nordfrukt = operators_of(stack, olof)["Nordfrukt Import AB"]
    request_id = ask_and_approve(stack, olof, ingrid, nordfrukt, f"Lager {uuid.uuid4().hex[:6]}")
    created = api(
        stack,
        olof,
        "POST",
        f"/api/v1/web-service-requests/{request_id}/clients",
        json={"scopes": ["operators.read"]},
    )
    assert created.status_code == 201, created.text
    client_id, secret = created.json()["client_id"], created.json()["client_secret"]
    assert created.json()["token_endpoint_auth_method"] == "client_secret_basic"
    assert secret
    listed = api(stack, olof, "GET", f"/api/v1/operators/{nordfrukt}/web-service-requests")
    assert '"client_secret"' not in listed.text
    assert secret not in listed.text

    def token_for(client_secret: str) -> httpx.Response:
        return httpx.post(
            f"{stack.identity_url}/oidc/token",
            data={"grant_type": "client_credentials", "scope": "operators.read"},
            auth=(client_id, client_secret),
        )

    first = token_for(secret)
    assert first.status_code == 200, first.text
    # Rotation: the new secret works, the old one no longer does.
    rotated = api(stack, olof, "POST", f"/api/v1/machine-clients/{client_id}/keys", json={})
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["client_secret"]
    assert new_secret
    assert new_secret != secret
    assert token_for(secret).status_code == 401
    second = token_for(new_secret)
    assert second.status_code == 200, second.text
    bearer = {"Authorization": f"Bearer {second.json()['access_token']}"}
    url = f"{stack.registry_url}/api/v1/machine/operators/{nordfrukt}"
    assert httpx.get(url, headers=bearer).status_code == 200

    # Only the authority revokes the access; every client made under it goes with it.
    not_olof = api(
        stack,
        olof,
        "POST",
        f"/api/v1/web-service-requests/{request_id}/revoke",
        json={"reason": "Egen"},
    )
    assert not_olof.status_code == 403, not_olof.text
    revoked = api(
        stack,
        ingrid,
        "POST",
        f"/api/v1/web-service-requests/{request_id}/revoke",
        json={"reason": "Avtalet har upphört"},
    )
    assert revoked.status_code == 200, revoked.text
    assert httpx.get(url, headers=bearer).status_code == 401
    deadline = time.monotonic() + 15
    while token_for(new_secret).status_code != 401:
        assert time.monotonic() < deadline, "identity still issues tokens to a revoked client"
        time.sleep(0.5)
    listed = api(stack, olof, "GET", f"/api/v1/operators/{nordfrukt}/web-service-requests")
    (client,) = [c for c in listed.json()["clients"] if c["client_id"] == client_id]
    assert client["status"] == "revoked"
    mailbox.wait_for(
        to=demo.person("olof").email,
        subject_contains="Åtkomsten till webbtjänsterna för Nordfrukt Import AB har återkallats",
    )

    # Each one's My data holds what they did (GDPR art. 15): Olof asked and made, re-keyed the
    # client; Ingrid decided and revoked the access. No secret in either.
    def my_data(person: Browser) -> dict[str, Any]:
        response = api(stack, person, "GET", MY_DATA_JSON)
        assert response.status_code == 200, response.text
        assert secret not in response.text
        assert new_secret not in response.text
        sections: dict[str, Any] = response.json()["sections"]
        return sections

    olofs = my_data(olof)
    assert request_id in [row["id"] for row in olofs["web_service_requests"]]
    (made,) = [row for row in olofs["machine_clients"] if row["client_id"] == client_id]
    assert made["status"] == "revoked"
    assert made["rotated_at"]
    ingrids = my_data(ingrid)
    (decided,) = [row for row in ingrids["web_service_requests"] if row["id"] == request_id]
    assert decided["status"] == "revoked"
    # Revoking the access revoked its client in her name.
    (revoked_by_her,) = [row for row in ingrids["machine_clients"] if row["client_id"] == client_id]
    assert revoked_by_her["revoked_at"]


def test_a_dpop_bound_machine_token_needs_its_key_at_the_registry(
    stack: Stack, olof: Browser, ingrid: Browser
) -> None:
    """A machine may bind its tokens to a DPoP key (RFC 9449): the registry's machine API then
    wants a proof by that key, and the token alone is refused."""
    nordfrukt = operators_of(stack, olof)["Nordfrukt Import AB"]
    request_id = ask_and_approve(stack, olof, ingrid, nordfrukt, f"DPoP {uuid.uuid4().hex[:6]}")
    key = Jwk.generate(alg="ES256").with_kid_thumbprint()
    created = api(
        stack,
        olof,
        "POST",
        f"/api/v1/web-service-requests/{request_id}/clients",
        json={
            "scopes": ["operators.read"],
            "jwks": json.dumps({"keys": [key.public_jwk().to_dict()]}),
        },
    )
    assert created.status_code == 201, created.text
    bound = OAuth2Client(
        token_endpoint=f"{stack.identity_url}/oidc/token",
        auth=PrivateKeyJwt(created.json()["client_id"], private_jwk=key),
        dpop_bound_access_tokens=True,
        testing=True,
    )
    token = bound.client_credentials(scope="operators.read")
    assert isinstance(token, DPoPToken)
    url = f"{stack.registry_url}/api/v1/machine/operators/{nordfrukt}"
    with_proof = requests.get(url, auth=token, timeout=30)
    assert with_proof.status_code == 200, with_proof.text
    as_bearer = httpx.get(url, headers={"Authorization": f"Bearer {token.access_token}"})
    assert as_bearer.status_code == 401
    without_proof = httpx.get(url, headers={"Authorization": f"DPoP {token.access_token}"})
    assert without_proof.status_code == 401


async def test_identity_client_service_says_which_field_and_is_idempotent(stack: Stack) -> None:
    """What the registry relies on: bad input is INVALID_ARGUMENT naming the field, never
    INTERNAL; a repeated delete succeeds (the registry retries); only the registry may call."""
    operator_id = str(uuid.uuid4())
    key = Jwk.generate(alg="ES256")
    good = json.dumps({"keys": [key.public_jwk().to_dict()]})

    async def call(caller: str, method: str, request: Any) -> Any:
        channel = authenticated_channel(
            stack.identity_grpc_target, secret=stack.service_auth_secret.encode(), caller=caller
        )
        try:
            return await getattr(pb_grpc.ClientServiceStub(channel), method)(request, timeout=10)
        finally:
            await channel.close()

    def create(**fields: Any) -> pb.CreateMachineClientRequest:
        values = {
            "client_id": f"op-test-{uuid.uuid4().hex[:8]}",
            "name": "ERP",
            "operator_id": operator_id,
            "scopes": ["operators.read"],
            "jwks_json": good,
            **fields,
        }
        return pb.CreateMachineClientRequest(**values)

    refusals = {
        "client_id": create(client_id="bad id!"),
        "operator_id": create(operator_id="not-a-uuid"),
        "scopes": create(scopes=["openid"]),
        "jwks.keys[0]": create(jwks_json=json.dumps({"keys": [key.to_dict()]})),
        "name": create(name="x" * 201),
        "jwks": create(jwks_json="{"),
    }
    for field, request in refusals.items():
        with pytest.raises(aio.AioRpcError) as refused:
            await call("registry", "CreateMachineClient", request)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, field
        assert (refused.value.details() or "").startswith(field), refused.value.details()

    made = create()
    created = await call("registry", "CreateMachineClient", made)
    assert created.token_endpoint_auth_method == "private_key_jwt"
    assert not created.client_secret
    with pytest.raises(aio.AioRpcError) as taken:
        await call("registry", "CreateMachineClient", made)
    assert taken.value.code() == grpc.StatusCode.ALREADY_EXISTS
    with pytest.raises(aio.AioRpcError) as stranger:
        await call("notifier", "DeleteMachineClient", pb.DeleteMachineClientRequest(client_id="x"))
    assert stranger.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(aio.AioRpcError) as secretless:
        await call(
            "registry",
            "ReplaceMachineClientKeys",
            pb.ReplaceMachineClientKeysRequest(client_id=made.client_id),
        )
    assert secretless.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    all_of_operator = pb.DeleteOperatorMachineClientsRequest(operator_id=operator_id)
    first = await call("registry", "DeleteOperatorMachineClients", all_of_operator)
    assert list(first.deleted_client_ids) == [made.client_id]
    second = await call("registry", "DeleteOperatorMachineClients", all_of_operator)
    assert list(second.deleted_client_ids) == []
    gone = pb.DeleteMachineClientRequest(client_id=made.client_id)
    assert (await call("registry", "DeleteMachineClient", gone)).deleted is False
    with pytest.raises(aio.AioRpcError) as unknown:
        await call(
            "registry",
            "ReplaceMachineClientKeys",
            pb.ReplaceMachineClientKeysRequest(client_id=made.client_id, jwks_json=good),
        )
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
