"""The authority's work list (issue 14, point 6): authorities found new operators and pending
activities only by browsing. Everything that waits for them is listed, counted and sorted by
age, and the start page takes them there."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from gatehouse_registry.operators import service as operators
from gatehouse_registry.operators.models import NewActivity
from gatehouse_registry.roles import service as roles
from gatehouse_registry.roles.models import Application, RoleKind

from .conftest import Visitor, World

# The sample authorities of migration 0004: Jordbruksverket's import control, and its border
# control post in Gothenburg.
SJV_IEK_ID = uuid.UUID("6f0e4bb4-2d4c-4d7e-9a37-0c7d4a6c1a01")
SEGOT_ID = uuid.UUID("6f0e4bb4-2d4c-4d7e-9a37-0c7d4a6c1a11")


def _count(html: str, table: str) -> int:
    marker = f'id="{table}-count">'
    start = html.index(marker) + len(marker)
    return int(html[start : html.index("<", start)])


async def test_the_authority_sees_what_waits_for_it_counted_and_by_age(
    db: Any, world: World, make_user: Any, create_operator: Any, visit: Callable[..., Visitor]
) -> None:
    anna = world.users["anna"]
    # A new operator created by someone else waits for validation.
    newcomer = await make_user("Nora Nyföretagare")
    await create_operator(newcomer, name="Nya Fruktimporten AB")
    # Anna's valid operator adds an activity: it waits for the authority too.
    operator = await operators.get_operator(db, actor=anna, operator_id=world.operator)
    await operators.add_activity(
        db,
        actor=anna,
        operator_id=world.operator,
        activity=NewActivity(
            chapter_code="plant_health",
            section_code="EURPO",
            activity_type_code="EURPO",
            identification_code="5599000014",
            valid_from=date(2025, 6, 1),
            competent_authority_id=SJV_IEK_ID,
            address=operator.addresses[0].id,
        ),
    )
    # Anna asks to be responsible for the load at the border post in Gothenburg.
    await roles.request_role(
        db,
        actor=anna,
        organization_id=world.operator,
        kind=RoleKind.RESPONSIBLE_FOR_LOAD,
        application=Application(),
        responsible_authority_ids=[SEGOT_ID],
    )

    authority = visit("authority", "en")
    start = await authority.get("/")
    assert start.status_code == 303
    assert start.headers["location"].startswith("/authority/work")
    page = await authority.get("/authority/work")
    assert page.status_code == 200, page.text[:500]
    assert _count(page.text, "operators") == 1
    assert "Nya Fruktimporten AB" in page.text
    assert _count(page.text, "activities") == 1
    assert "EURPO" in page.text
    # Bertil waits at Anna's operator, whose administrator (Anna) decides: not the authority's.
    assert _count(page.text, "operator-users") == 0
    newest = await authority.get("/authority/work", sort="newest")
    assert newest.status_code == 200

    border_post = visit("border_post", "sv")
    mine = await border_post.get("/authority/work")
    assert _count(mine.text, "responsible-for-load") == 1
    assert anna.full_name in mine.text
    assert _count(mine.text, "operators") == 0

    # Not for operators' people.
    assert (await visit("bertil", "en").get("/authority/work")).status_code == 403


async def test_an_administrator_adds_an_activity_on_a_page(
    db: Any, world: World, visit: Callable[..., Visitor]
) -> None:
    """Adding an activity to an existing operator was possible through the API only."""
    anna = visit("anna", "sv")
    operator_page = await anna.get(f"/operators/{world.operator}")
    assert f'href="/operators/{world.operator}/activities/new"' in operator_page.text
    form = await anna.get(f"/operators/{world.operator}/activities/new")
    assert form.status_code == 200, form.text[:500]
    operator = await operators.get_operator(
        db, actor=world.users["anna"], operator_id=world.operator
    )
    fields = {
        "chapter_code": "plant_health",
        "section_code": "EURPO",
        "activity_type_code": "EURPO",
        "identification_code": "",
        "valid_from": "2025-06-01",
        "address_id": str(operator.addresses[0].id),
        "competent_authority_id": "",
    }
    refused = await anna.post(f"/operators/{world.operator}/activities/new", fields)
    assert refused.status_code == 422
    assert anna.text("error.required") in refused.text
    added = await anna.post(
        f"/operators/{world.operator}/activities/new",
        {**fields, "identification_code": "5599000014"},
    )
    assert added.status_code == 303, added.text[:500]
    assert added.headers["location"].startswith(f"/operators/{world.operator}")
    shown = await anna.get(added.headers["location"])
    assert anna.text("done.activity_added") in shown.text
    work = await visit("authority", "en").get("/authority/work")
    assert _count(work.text, "activities") == 1

    # Not for someone who does not administer the operator.
    bertil = visit("bertil", "sv")
    await bertil.get("/")
    assert (await bertil.get(f"/operators/{world.operator}/activities/new")).status_code == 403
