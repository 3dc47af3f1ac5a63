"""Forms: an error is shown beside its field with everything typed kept; a form posted without
its CSRF token changes nothing; pages of another operator are forbidden."""

from __future__ import annotations

import html
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from gatehouse_registry.operators import service as operators
from gatehouse_registry.operators.models import NewActivity
from gatehouse_registry.roles.models import RoleStatus

from .conftest import (
    SEGOT,
    SJV_IEK,
    Visitor,
    World,
    field_error,
    fresh_orgnr,
    input_value,
    organization_id,
)
from .test_manual_path import operator_form


async def role_status(db: Any, role_id: uuid.UUID) -> RoleStatus:
    return RoleStatus(await db.fetchval("SELECT status FROM roles WHERE id = $1", role_id))


async def test_create_operator_errors_are_shown_beside_their_fields(
    db: Any, visit: Callable[..., Visitor]
) -> None:
    nils = visit("nobody", "sv")
    await nils.get("/request-authorisation/operator/new", country="SE", q="Nytt")
    before = await db.fetchval("SELECT count(*) FROM organizations")
    wrong = operator_form(
        "556036-0790",  # wrong check digit
        **{
            "addresses-0-street": "",
            "addresses-0-city": "Malmö",
            "contacts-0-value": "040-123456",  # not international
            "activity-section_code": "ORGANIC",  # not in plant health
            "activity-valid_from": "2025-06-01",
            "activity-valid_to": "2025-01-01",
            "action": "create",
        },
    )
    page = await nils.post("/request-authorisation/operator/new", wrong)
    assert page.status_code == 422
    expected = {
        "addresses-0-street": "error.required",
        "contacts-0-value": "error.invalid_phone",
        "identifiers-0-value": "error.invalid_identifier",
        "activity-section_code": "error.section_not_in_chapter",
        "activity-valid_to": "error.valid_to_before_valid_from",
    }
    for name, key in expected.items():
        assert field_error(page.text, name) == nils.text(key), name
        assert f'aria-describedby="{name}-error"' in page.text or (
            f'{name}-hint {name}-error"' in page.text
        ), name
        assert f'href="#{name}"' in page.text, "the summary links to the field"
    # What was typed is kept, the correct fields and the wrong ones alike.
    assert input_value(page.text, "addresses-0-city") == "Malmö"
    assert input_value(page.text, "contacts-0-value") == "040-123456"
    assert input_value(page.text, "identifiers-0-value") == "556036-0790"
    assert html.unescape(input_value(page.text, "name") or "") == "Äppelgården Import AB"
    # The chapter stays chosen; its sections are offered (a section of another chapter is not).
    assert 'value="plant_health" selected' in page.text
    assert 'value="ORGANIC"' not in page.text
    assert field_error(page.text, "name") is None
    assert await db.fetchval("SELECT count(*) FROM organizations") == before


async def test_a_number_already_registered_is_shown_beside_the_identifier(
    db: Any, visit: Callable[..., Visitor], world: World
) -> None:
    taken = await db.fetchval(
        "SELECT value FROM identifiers WHERE organization_id = $1", world.operator
    )
    olle = visit("olle", "en")
    await olle.get("/request-authorisation/operator/new", country="SE", q="Copy")
    form = {**operator_form(fresh_orgnr()), "identifiers-0-value": taken, "action": "send"}
    page = await olle.post("/request-authorisation/operator/new", form)
    assert page.status_code == 422
    shown = html.unescape(field_error(page.text, "identifiers-0-value") or "")
    assert shown == olle.text(
        "error.duplicate_identifier", existing_operator_name="Äppelgården Import AB"
    )
    assert input_value(page.text, "addresses-0-street") == "Fruktvägen 3"


async def test_the_application_dialog_keeps_the_message_when_the_e_mail_is_wrong(
    db: Any, visit: Callable[..., Visitor], world: World
) -> None:
    nils = visit("nobody", "sv")
    await nils.get("/request-authorisation/apply", organization_id=str(world.other_operator))
    page = await nils.post(
        "/request-authorisation/apply",
        {
            "organization_id": str(world.other_operator),
            "message": "Vi importerar päron",
            "email": "inte-en-adress",
            "phone": "+46 8 123 456",
        },
    )
    assert page.status_code == 422
    assert field_error(page.text, "email") == nils.text("error.invalid_email")
    assert ">Vi importerar päron</textarea>" in html.unescape(page.text)
    assert input_value(page.text, "phone") == "+46 8 123 456"
    assert 'aria-invalid="true"' in page.text
    assert not await db.fetchval(
        "SELECT count(*) FROM roles WHERE organization_id = $1 AND user_id = $2",
        world.other_operator,
        world.users["nobody"].user_id,
    )


async def test_responsible_for_load_needs_an_authority(
    db: Any, visit: Callable[..., Visitor], world: World
) -> None:
    anna = visit("anna", "en")
    await anna.get("/profile/new-role/responsible-for-load")
    page = await anna.post(
        "/profile/new-role/responsible-for-load",
        {"organization_id": str(world.operator), "country": "SE", "message": "Via Göteborg"},
    )
    assert page.status_code == 422
    assert field_error(page.text, "responsible_authority_ids") == anna.text(
        "error.responsible_authorities_missing"
    )
    assert "Via Göteborg" in html.unescape(page.text)
    segot = await organization_id(db, SEGOT)
    page = await anna.post(
        "/profile/new-role/responsible-for-load",
        {"organization_id": str(world.other_operator), "responsible_authority_ids": str(segot)},
    )
    assert page.status_code == 403, "only for an operator one is a valid user of"


async def test_ticking_nothing_asks_to_tick_an_operator(visit: Callable[..., Visitor]) -> None:
    nils = visit("nobody", "sv")
    back = await nils.get("/request-authorisation/apply", country="SE", q="Äppelgården")
    assert back.status_code == 303
    listed = await nils.get(back.headers["location"])
    assert field_error(listed.text, "organization_id") == nils.text("error.choose_one")


async def test_reject_needs_a_reason(visit: Callable[..., Visitor], world: World) -> None:
    anna = visit("anna", "sv")
    bertil_id = world.users["bertil"].user_id
    opened = await anna.get(f"/actors/users/{bertil_id}")
    assert opened.status_code == 200
    rid = str(world.bertil_request)
    page = await anna.post(f"/actors/users/{bertil_id}", {"reject": rid, f"reason-{rid}": ""})
    assert page.status_code == 422
    assert field_error(page.text, f"reason-{rid}") == anna.text("error.reason_required")
    assert f'id="reject-{rid}" checked' in page.text, "the tick is kept"
    done = await anna.post(
        f"/actors/users/{bertil_id}", {"reject": rid, f"reason-{rid}": "Okänd för oss"}
    )
    assert done.status_code == 303


@pytest.mark.parametrize("token", ["missing", "wrong"])
async def test_forms_without_the_csrf_token_are_refused(
    db: Any, visit: Callable[..., Visitor], world: World, token: str
) -> None:
    anna = visit("anna", "sv")
    await anna.get("/profile")
    bertil_id, rid = world.users["bertil"].user_id, str(world.bertil_request)
    forged = {"approve": rid} | ({"csrf_token": "x" * 43} if token == "wrong" else {})
    targets = [
        (f"/actors/users/{bertil_id}", forged),
        (f"/actors/users/{bertil_id}/administrator", {"grant_admin": rid}),
        ("/request-authorisation/apply", {"organization_id": str(world.other_operator)}),
        ("/request-authorisation/operator/new", {**operator_form(fresh_orgnr()), "action": "send"}),
        ("/profile/new-role/responsible-for-load", {"organization_id": str(world.operator)}),
        (f"/operators/{world.operator}/decision", {"decision": "validate"}),
        ("/request-authorisation/reactivation", {"message": "hej"}),
    ]
    before = await db.fetchval("SELECT count(*) FROM audit_log")
    for path, data in targets:
        page = await anna.post(path, data, csrf=False)
        assert page.status_code == 403, path
        assert anna.text("error.csrf") in page.text, path
    assert await role_status(db, world.bertil_request) is RoleStatus.PENDING
    assert await db.fetchval("SELECT count(*) FROM audit_log") == before


async def test_pages_of_another_operator_are_forbidden(
    db: Any, visit: Callable[..., Visitor], world: World
) -> None:
    olle = visit("olle", "sv")  # administrator of Päronlunden, not of Äppelgården
    bertil_id, rid = world.users["bertil"].user_id, str(world.bertil_request)
    page = await olle.get(f"/operators/{world.operator}")
    assert page.status_code == 403
    assert olle.text("error.forbidden.title") in page.text
    assert "Hamngatan" not in page.text
    listed = await olle.get(f"/actors/users/{bertil_id}", organization=str(world.operator))
    assert listed.status_code == 403
    assert (await olle.get(f"/operators/{world.other_operator}")).status_code == 200
    pending = await olle.get("/actors/users", status="pending")
    assert "Bertil" not in pending.text
    forged = await olle.post(f"/actors/users/{bertil_id}", {"approve": rid})
    assert forged.status_code == 403
    assert await role_status(db, world.bertil_request) is RoleStatus.PENDING
    nobody = visit("nobody", "en")
    for path in ("/actors/users", "/audit", "/authority/operators"):
        assert (await nobody.get(path)).status_code == 403, path
    decided = await olle.post(f"/operators/{world.operator}/decision", {"decision": "validate"})
    assert decided.status_code == 403


async def test_start_page_and_bad_addresses(visit: Callable[..., Visitor]) -> None:
    start = await visit("anonymous", "sv").get("/")
    assert start.status_code == 200
    assert 'href="/auth/login?next=/"' in start.text
    assert ">Logga in<" in start.text
    assert (await visit("nobody").get("/")).headers["location"] == "/request-authorisation"
    assert (await visit("anna").get("/")).headers["location"] == "/profile"
    bad = await visit("anna", "en").get("/operators/not-a-uuid")
    assert bad.status_code == 400
    assert "<h1>" in bad.text
    unknown = await visit("authority", "en").get(f"/operators/{uuid.uuid4()}")
    assert unknown.status_code == 404


async def test_an_inactive_user_asks_for_reactivation(
    db: Any, visit: Callable[..., Visitor], world: World
) -> None:
    bertil_id = world.users["bertil"].user_id
    await db.execute(
        "UPDATE users SET status = 'inactive', inactivated_at = now() WHERE id = $1", bertil_id
    )
    bertil = visit("bertil", "sv")
    page = await bertil.get("/request-authorisation")
    assert bertil.text("notice.inactive") in page.text
    assert 'id="organisation-kinds"' not in page.text
    sent = await bertil.post("/request-authorisation/reactivation", {"message": "Tillbaka nu"})
    assert sent.headers["location"] == "/request-authorisation?done=reactivation_requested"
    assert (
        await db.fetchval("SELECT reactivation_message FROM users WHERE id = $1", bertil_id)
        == "Tillbaka nu"
    )


async def test_the_authority_decides_operators_and_activities(
    db: Any, visit: Callable[..., Visitor], world: World, create_operator: Any
) -> None:
    sjv_iek = await organization_id(db, SJV_IEK)
    address = await db.fetchval(
        "SELECT id FROM addresses WHERE organization_id = $1", world.operator
    )
    added = await operators.add_activity(
        db,
        actor=world.users["anna"],
        operator_id=world.operator,
        activity=NewActivity(
            section_code="IMPORTER",
            activity_type_code="IMPORTER",
            identification_code="IMP-1",
            valid_from=date(2025, 1, 1),
            competent_authority_id=sjv_iek,
            address=address,
        ),
    )
    ingrid = visit("authority", "en")
    page = await ingrid.get(f"/operators/{world.operator}")
    assert f'action="/activities/{added.id}/decision"' in page.text
    anna_sees = await visit("anna", "en").get(f"/operators/{world.operator}")
    assert f'action="/activities/{added.id}/decision"' not in anna_sees.text
    form = {"operator_id": str(world.operator), "decision": "reject", "reason": ""}
    refused = await ingrid.post(f"/activities/{added.id}/decision", form)
    assert refused.status_code == 422
    assert field_error(refused.text, f"activity-{added.id}-reason") == ingrid.text(
        "error.reason_required"
    )
    done = await ingrid.post(f"/activities/{added.id}/decision", {**form, "decision": "validate"})
    assert done.headers["location"] == f"/operators/{world.operator}?done=activity_validated"
    assert await db.fetchval("SELECT status FROM activities WHERE id = $1", added.id) == "valid"

    # A new operator: rejecting it needs a reason, which the audit trail keeps.
    pending = await create_operator(world.users["nobody"], name="Tvivelaktigt AB")
    operator = pending.operator.id
    refused = await ingrid.post(f"/operators/{operator}/decision", {"decision": "reject"})
    assert refused.status_code == 422
    assert field_error(refused.text, "reason") == ingrid.text("error.reason_required")
    rejected = await ingrid.post(
        f"/operators/{operator}/decision", {"decision": "reject", "reason": "Fel uppgifter"}
    )
    assert rejected.headers["location"] == f"/operators/{operator}?done=operator_rejected"
    assert await db.fetchval("SELECT status FROM organizations WHERE id = $1", operator) == (
        "rejected"
    )
    trail = await ingrid.get("/audit")
    assert "Fel uppgifter" in trail.text
    again = await ingrid.post(f"/operators/{operator}/decision", {"decision": "validate"})
    assert again.status_code == 422
    assert field_error(again.text, "operator-decision") == ingrid.text("error.already_decided")


async def test_operators_without_eupo_or_eurpo_carry_the_manuals_hint(
    visit: Callable[..., Visitor], world: World, create_operator: Any
) -> None:
    traders = await create_operator(
        world.users["olle"],
        name="Grönsakshandlarna AB",
        section="QUA-CONF",
        activity_type="QUA-CONF TRADER",
    )
    hit = traders.operator.id
    nils = visit("nobody", "sv")
    page = await nils.get("/request-authorisation/operator", country="SE", q="Grönsakshandlarna")
    assert f'data-operator-id="{hit}"' in page.text
    assert f'<p class="warning" id="plant-hint-{hit}">' in page.text
    assert f'aria-describedby="plant-hint-{hit}"' in page.text
    assert "importkontroll@jordbruksverket.se" in page.text
    eupo = await nils.get("/request-authorisation/operator", country="SE", q="Äppelgården")
    assert f'id="plant-hint-{world.operator}"' not in eupo.text
