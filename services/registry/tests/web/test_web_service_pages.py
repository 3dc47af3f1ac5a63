"""The *Web services* page of an operator (issue 19): the administrator asks for access, the
competent authority approves it on the same page, the administrator creates a machine client
(a secret is shown on the answer page only) and revokes it; bad input is shown beside its field.
identity's ClientService is the fake of ../conftest.py (the real one: tests/
test_machine_access.py)."""

from __future__ import annotations

import re
from collections.abc import Callable

from .conftest import Visitor, World, field_error


def request_ids(html: str) -> list[str]:
    return re.findall(r'<section class="card" id="request-([0-9a-f-]{36})"', html)


async def test_request_approve_create_and_revoke_on_the_page(
    visit: Callable[..., Visitor], world: World
) -> None:
    here = f"/operators/{world.operator}/web-services"
    anna = visit("anna", "en")
    page = await anna.get(here)
    assert page.status_code == 200
    assert 'id="request-access"' in page.text

    refused = await anna.post(
        here,
        {"action": "request", "system_name": "ERP", "contact_email": "nope", "purpose": ""},
    )
    assert refused.status_code == 422
    assert field_error(refused.text, "contact_email")
    assert field_error(refused.text, "purpose")
    assert 'value="ERP"' in refused.text  # what was typed is kept
    sent = await anna.post(
        here,
        {
            "action": "request",
            "system_name": "Affärssystemet",
            "contact_email": "it@example.se",
            "purpose": "Read who may sign",
        },
    )
    assert sent.status_code == 303

    ingrid = visit("authority", "sv")
    page = await ingrid.get(here)
    (request_id,) = request_ids(page.text)
    assert "Väntar på myndigheten" in page.text
    approved = await ingrid.post(here, {"action": "approve", "request_id": request_id})
    assert approved.status_code == 303

    await anna.get(here)
    bad_keys = await anna.post(
        here,
        [
            ("action", "create_client"),
            ("request_id", request_id),
            ("scopes", "operators.read"),
            ("jwks", "this is not a JWK Set"),
        ],
    )
    assert bad_keys.status_code == 422
    assert field_error(bad_keys.text, "jwks")
    no_scope = await anna.post(here, {"action": "create_client", "request_id": request_id})
    assert no_scope.status_code == 422
    assert field_error(no_scope.text, "scopes")
    created = await anna.post(
        here,
        [("action", "create_client"), ("request_id", request_id), ("scopes", "operators.read")],
    )
    assert created.status_code == 200
    assert 'id="secret-value"' in created.text
    client_id = re.search(r'id="secret-client-id">([^<]+)<', created.text)
    assert client_id
    # The secret is on that answer only.
    again = await anna.get(here)
    assert 'id="secret-value"' not in again.text

    unexplained = await anna.post(
        here, {"action": "revoke_client", "client_id": client_id.group(1), "reason": ""}
    )
    assert unexplained.status_code == 422
    assert field_error(unexplained.text, "reason")
    revoked = await anna.post(
        here,
        {"action": "revoke_client", "client_id": client_id.group(1), "reason": "Key lost"},
    )
    assert revoked.status_code == 303
    page = await anna.get(here)
    assert "Revoked" in page.text


async def test_only_the_authority_decides_and_strangers_see_nothing(
    visit: Callable[..., Visitor], world: World
) -> None:
    here = f"/operators/{world.operator}/web-services"
    anna = visit("anna", "en")
    await anna.get(here)
    await anna.post(
        here,
        {
            "action": "request",
            "system_name": "ERP",
            "contact_email": "it@example.se",
            "purpose": "Read users",
        },
    )
    page = await anna.get(here)
    (request_id,) = request_ids(page.text)
    # The administrator sees no decision buttons, and a decision posted anyway is refused.
    assert 'value="approve"' not in page.text
    own = await anna.post(here, {"action": "approve", "request_id": request_id})
    assert own.status_code == 403
    stranger = await visit("nobody", "en").get(here)
    assert stranger.status_code == 403
    assert "ERP" not in stranger.text
