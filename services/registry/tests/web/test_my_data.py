"""*My data* (issue 18, point 3): a signed-in user downloads what the registry holds about them,
as JSON and as a page; only their own, deciders named by organisation, strings escaped, a fixed
file name, and a visitor who is not signed in is sent to sign in."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from gatehouse_common.db import Database
from gatehouse_common.nats_bus import EventBus
from gatehouse_common.resources import ServiceResources
from gatehouse_registry.app import create_app
from gatehouse_registry.context import RegistryContext
from gatehouse_registry.roles import decisions
from gatehouse_registry.roles import service as roles
from gatehouse_registry.roles.models import Application
from gatehouse_registry.settings import RegistrySettings
from gatehouse_registry.users.inactivity import suspend_after_devices_reset

from .conftest import Visitor, World, parse

MY_DATA = "/profile/my-data"
AS_JSON = f"{MY_DATA}/gatehouse-registry-my-data.json"
AS_HTML = f"{MY_DATA}/gatehouse-registry-my-data.html"
SAFE_DISPOSITION = re.compile(r'attachment; filename="[a-z0-9.-]+"')


async def test_the_json_holds_the_users_own_data_and_nobody_elses(
    visit: Callable[..., Visitor], world: World
) -> None:
    anna = visit("anna", "en")
    profile = await anna.get("/profile")
    assert f'href="{MY_DATA}"' in profile.text

    download = await anna.get(AS_JSON)
    assert download.status_code == 200
    assert SAFE_DISPOSITION.fullmatch(download.headers["content-disposition"])
    assert download.headers["cache-control"] == "no-store"
    data = download.json()
    sections = data["sections"]
    assert data["user_id"] == str(world.users["anna"].user_id)
    assert [row["email"] for row in sections["user"]] == [world.users["anna"].email]

    (role,) = sections["roles"]
    assert role["organization_id"] == str(world.operator)
    assert (role["status"], role["is_admin"], role["suspended_at"]) == ("approved", True, None)
    # Approved by the authority: named by its organisation, not by the person.
    assert role["decided_by"]["who"] == "organisation"
    assert role["decided_by"]["organization_kind"] == "authority"
    (operator,) = sections["operators"]
    assert (operator["id"], operator["name"]) == (str(world.operator), "Äppelgården Import AB")
    assert operator["identifiers"][0].startswith("national_registration_number SE ")
    assert {entry["action"] for entry in sections["audit_log"]} >= {
        "operator.created",
        "role_request.approved",
    }
    assert "Äppelgården Import AB" in {row["name"] for row in sections["created_by_you"]}

    text = download.text
    for other in ("bertil", "olle", "authority", "border_post"):
        assert world.users[other].full_name not in text, other
        assert world.users[other].email not in text, other
        assert str(world.users[other].user_id) not in text, other
    assert str(world.bertil_request) not in text  # Bertil's request to Anna's operator
    assert str(world.other_operator) not in text


async def test_decisions_name_the_deciders_organisation_never_the_person(
    db: Any, visit: Callable[..., Visitor], world: World
) -> None:
    """Anna approves, then revokes Bertil's request; identity suspends nothing of his (revoked)
    but Anna's own role after a devices reset. Bertil sees "someone at Anna's operator", Anna
    sees her decisions named by the operator, and neither sees the other's name or e-mail."""
    anna, bertil = world.users["anna"], world.users["bertil"]
    request = world.bertil_request
    await decisions.approve_role_request(db, actor=anna, role_request_id=request)
    await decisions.revoke_role(db, actor=anna, role_request_id=request, reason="Slutat här")
    await suspend_after_devices_reset(db, user_id=anna.user_id, event_id=uuid.uuid4())

    his = (await visit("bertil", "en").get(AS_JSON)).json()["sections"]
    (role,) = his["roles"]
    expected = {
        "who": "organisation",
        "organization_name": "Äppelgården Import AB",
        "organization_kind": "operator",
    }
    assert (role["id"], role["status"]) == (str(request), "revoked")
    assert role["decided_by"] == role["revoked_by"] == expected
    assert role["revoke_reason"] == "Slutat här"
    assert {entry["action"] for entry in his["audit_log"]} >= {
        "role_request.created",
        "role_request.approved",
        "role.revoked",
    }
    assert {entry["about"] for entry in his["audit_log"]} == {"you"}
    assert his["operators"] == []  # no role held any more
    page = await visit("bertil", "sv").get(AS_HTML)
    assert "Någon på Äppelgården Import AB (Operatör)" in page.text
    assert "Återkallad" in parse(page.text).text  # codes in words, in the page's language
    assert not re.search(r"\d\d:\d\d(:\d\d)?[.+]", page.text)  # moments in the reader's zone

    mine = await visit("anna", "en").get(AS_JSON)
    sections = mine.json()["sections"]
    assert sections["roles"][0]["suspended_at"] is not None
    decided = {(row["what"], row["name"], row["status"]) for row in sections["decided_by_you"]}
    assert decided == {
        ("role_request", "Äppelgården Import AB", "revoked"),
        ("role_revoked", "Äppelgården Import AB", "revoked"),
    }
    assert "other" in {entry["about"] for entry in sections["audit_log"]}
    for text, other in ((mine.text, bertil), (page.text, anna)):
        assert other.full_name not in text
        assert other.email not in text
        assert str(other.user_id) not in text


async def test_the_page_to_read_escapes_what_users_typed(
    db: Any, visit: Callable[..., Visitor], world: World
) -> None:
    typed = '<script>alert("x")</script> & <b>bold</b>'
    await roles.request_role(
        db,
        actor=world.users["nobody"],
        organization_id=world.operator,
        application=Application(message=typed),
    )
    for language in ("sv", "en"):
        nils = visit("nobody", language)
        page = await nils.get(AS_HTML)
        assert page.status_code == 200
        assert SAFE_DISPOSITION.fullmatch(page.headers["content-disposition"])
        assert f'<html lang="{language}">' in page.text
        assert "<script>" not in page.text
        assert "<b>bold" not in page.text
        assert "&lt;script&gt;alert(" in page.text
        assert typed in parse(page.text).text
        assert nils.text("mydata.section.roles") in page.text
        assert "Bertil" not in page.text


async def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(
    rolled_back_database: Database,
) -> None:
    settings = RegistrySettings(gatehouse_environment="test", public_url="https://registry.test")
    bus = EventBus(url="nats://127.0.0.1:1", stream="unused", subject_prefix="t", name="t")
    resources = ServiceResources(database=rolled_back_database, bus=bus)
    app = create_app(RegistryContext(settings=settings, resources=resources))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://registry.test") as client:
        for path in (MY_DATA, AS_JSON, AS_HTML):
            answer = await client.get(path, headers={"accept": "text/html"})
            assert answer.status_code == 303, path
            assert answer.headers["location"] == "/auth/login?next=" + path.replace("/", "%2F")
            assert "content-disposition" not in answer.headers
        api = await client.get(AS_JSON, headers={"accept": "application/json"})
        assert api.status_code == 401
        assert json.loads(api.text)
