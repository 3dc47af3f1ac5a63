"""Suspension is seen where people look (issue 14, point 8): the suspended user sees why on their
start page instead of "no role"; lists and pages show "Suspended" in its own colour instead of a
green "Approved"; and anyone opens their own user page."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from gatehouse_registry.users import inactivity

from .conftest import Visitor, World


async def test_everyone_opens_their_own_page(world: World, visit: Callable[..., Visitor]) -> None:
    anna = visit("anna", "sv")
    own = await anna.get(f"/actors/users/{world.users['anna'].user_id}")
    assert own.status_code == 303, own.text[:300]
    assert own.headers["location"].startswith("/profile")


async def test_a_suspended_user_and_the_deciders_see_the_suspension(
    db: Any, world: World, visit: Callable[..., Visitor]
) -> None:
    olle = world.users["olle"]  # the only user of his (valid) operator
    suspended = await inactivity.suspend_after_devices_reset(
        db, user_id=olle.user_id, event_id=uuid.uuid4()
    )
    assert suspended

    for language in ("sv", "en"):
        him = visit("olle", language)
        start = await him.get("/request-authorisation")
        assert him.text("notice.suspended") in start.text
        assert him.text("notice.no_role") not in start.text
        profile = await him.get("/profile")
        assert 'class="status-suspended"' in profile.text
        assert him.text("status.suspended") in profile.text

        authority = visit("authority", language)
        listed = await authority.get("/actors/users", status="approved")
        row = next(line for line in listed.text.splitlines() if olle.full_name in line)
        assert authority.text("status.suspended") in listed.text, row
        page = await authority.get(f"/actors/users/{olle.user_id}")
        assert 'class="status-suspended"' in page.text
        assert authority.text("users.unsuspend") in page.text
