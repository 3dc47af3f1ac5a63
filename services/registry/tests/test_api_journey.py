"""The manual's whole path through the JSON API (as an API client sees it, with the signed-in
user supplied by a stand-in for the OIDC sign-in)."""

from __future__ import annotations

from typing import Any

from .conftest import SEGOT_ID, SJV_IEK, new_orgnr

SJV = "6f0e4bb4-2d4c-4d7e-9a37-0c7d4a6c1a01"


async def test_the_manuals_path_through_the_api(
    open_client: Any, make_user: Any, make_admin_of: Any
) -> None:
    users = {
        "anna": await make_user("Anna Importör"),
        "bertil": await make_user("Bertil Kollega"),
        "authority": await make_admin_of(SJV_IEK, "Ingrid Importkontroll"),
        "post": await make_admin_of("SEGOT", "Gustav Gränskontroll"),
    }
    async with open_client(users) as api:

        async def call(actor: str, method: str, path: str, **kwargs: Any) -> Any:
            response = await api.request(method, path, headers={"x-test-actor": actor}, **kwargs)
            assert response.status_code < 300, (method, path, response.text)
            return response.json() if response.content else None

        me = await call("anna", "GET", "/api/v1/me")
        assert me["notice"] == "You currently have no role that gives access."
        assert me["requestable_organization_kinds"] == [
            "operator",
            "organic_control_body",
            "authority",
            "other_entity",
        ]
        authorities = await call(
            "anna",
            "GET",
            "/api/v1/authorities",
            params={"country": "SE", "chapter": "plant_health"},
        )
        assert SJV in {a["id"] for a in authorities}
        found = await call(
            "anna", "GET", "/api/v1/operators", params={"country": "SE", "q": "Blåbärsimport"}
        )
        assert found["items"] == []

        orgnr = new_orgnr()
        created = await call(
            "anna",
            "POST",
            "/api/v1/operators",
            json={
                "name": "Blåbärsimport Sverige AB",
                "addresses": [
                    {
                        "street": "Kajen 4",
                        "postal_code": "252 25",
                        "city": "Helsingborg",
                        "country_code": "SE",
                        "main": True,
                    }
                ],
                "contacts": [
                    {"kind": "phone", "value": "+46 42 123456"},
                    {"kind": "email", "value": "info@blabar.example.se"},
                ],
                "identifiers": [{"type": "national_registration_number", "value": orgnr}],
                "activity": {
                    "chapter_code": "plant_health",
                    "section_code": "EUPO",
                    "activity_type_code": "EUPO",
                    "identification_code": orgnr.replace("-", ""),
                    "valid_from": "2025-01-01",
                    "competent_authority_id": SJV,
                    "address_index": 0,
                },
                "application": {"message": "Vi importerar blåbär", "phone": "+46 42 123456"},
            },
        )
        operator_id = created["operator"]["id"]
        assert created["operator"]["status"] == "pending"
        assert created["message"].startswith("The roles you requested are being reviewed.")
        first_request = created["role_request_id"]

        refused = await api.post(
            f"/api/v1/role-requests/{first_request}/approve", headers={"x-test-actor": "authority"}
        )
        assert refused.status_code == 409
        assert refused.json()["code"] == "organization_not_valid"
        await call("authority", "POST", f"/api/v1/operators/{operator_id}/validate")
        approved = await call("authority", "POST", f"/api/v1/role-requests/{first_request}/approve")
        assert approved["administrator"] is True

        hits = await call(
            "bertil", "GET", "/api/v1/operators", params={"country": "SE", "q": "blabarsimprot"}
        )
        assert [hit["id"] for hit in hits["items"]] == [operator_id]
        request = await call(
            "bertil",
            "POST",
            "/api/v1/role-requests",
            json={"organization_id": operator_id, "email": "bertil@example.se"},
        )
        pending = await call("anna", "GET", "/api/v1/role-requests")
        assert [r["id"] for r in pending] == [request["id"]]
        await call("anna", "POST", f"/api/v1/role-requests/{request['id']}/approve")
        promoted = await call("anna", "PUT", f"/api/v1/role-requests/{request['id']}/administrator")
        assert promoted["administrator"] is True
        demoted = await call(
            "bertil", "DELETE", f"/api/v1/role-requests/{first_request}/administrator"
        )
        assert demoted["administrator"] is False
        last = await api.delete(
            f"/api/v1/role-requests/{request['id']}/administrator",
            headers={"x-test-actor": "anna"},
        )
        assert last.status_code == 403  # anna is no longer an administrator

        rfl = await call(
            "anna",
            "POST",
            "/api/v1/role-requests",
            json={
                "organization_id": operator_id,
                "kind": "responsible_for_load",
                "responsible_authority_ids": [str(SEGOT_ID)],
            },
        )
        posts_queue = await call("post", "GET", "/api/v1/role-requests")
        assert [r["id"] for r in posts_queue] == [rfl["id"]]
        done = await call("post", "POST", f"/api/v1/role-requests/{rfl['id']}/approve")
        assert done["status"] == "approved"

        mine = await call("anna", "GET", "/api/v1/me")
        assert mine["has_valid_role"] is True
        assert mine["notice"] is None
        assert {(r["kind"], r["status"]) for r in mine["roles"]} == {
            ("member", "approved"),
            ("responsible_for_load", "approved"),
        }
        trail = await call(
            "authority", "GET", "/api/v1/audit", params={"organization_id": operator_id}
        )
        assert {e["action"] for e in trail} >= {
            "operator.created",
            "operator.validated",
            "role_request.approved",
            "admin.granted",
            "admin.removed",
        }
