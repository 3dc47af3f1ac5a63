"""The manual's whole path through the registry's pages, as the people in it click: search →
create the operator → send the application → the authority validates it and its first user →
a colleague applies → the administrator approves and makes them administrator → responsible for
the load, approved by the border control post. Pages are posted exactly as a browser would (the
hidden fields of the page, the CSRF cookie's token), in Swedish for the importers and English for
the authorities."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from gatehouse_registry.auth.dependencies import RegistryUser

from .conftest import (
    SEGOT,
    SJV_IEK,
    Visitor,
    field_error,
    fresh_orgnr,
    hidden_fields,
    organization_id,
)

OPERATOR = "Äppelgården Import AB"


def operator_form(orgnr: str, **changes: str) -> dict[str, str]:
    """The create-operator form filled in as the manual says (plants, EUPO)."""
    return {
        "name": OPERATOR,
        "addresses-0-street": "Fruktvägen 3",
        "addresses-0-postal_code": "211 20",
        "addresses-0-city": "Malmö",
        "addresses-0-country_code": "SE",
        "contacts-0-kind": "phone",
        "contacts-0-value": "+46 40 123456",
        "contacts-1-kind": "email",
        "contacts-1-value": "import@appelgarden.example",
        "identifiers-0-type": "national_registration_number",
        "identifiers-0-value": orgnr,
        "activity-chapter_code": "plant_health",
        "activity-section_code": "EUPO",
        "activity-activity_type_code": "EUPO",
        "activity-identification_code": orgnr.replace("-", ""),
        "activity-valid_from": "2025-01-01",
        "activity-valid_to": "",
        "activity-publication_date": "",
        "activity-application_date": "2025-01-01",
        "activity-competent_authority_id": "",
        "activity-address_index": "0",
        **changes,
    }


def id_in(pattern: str, text: str) -> uuid.UUID:
    found = re.search(pattern, text)
    assert found, pattern
    return uuid.UUID(found.group(1))


@pytest.fixture
async def people(make_user: Any, make_admin_of: Any) -> dict[str, RegistryUser]:
    return {
        "anna": await make_user("Anna Lindqvist"),
        "bertil": await make_user("Bertil Åkesson"),
        "ingrid": await make_admin_of(SJV_IEK, "Ingrid Importkontroll"),
        "gustav": await make_admin_of(SEGOT, "Gustav Gränskontroll"),
    }


@pytest.fixture
async def visit(
    open_pages: Any, people: dict[str, RegistryUser]
) -> AsyncIterator[Callable[..., Visitor]]:
    async with open_pages(people) as opened:
        yield opened


async def test_the_manuals_path_through_the_pages(
    db: Any, visit: Callable[..., Visitor], people: dict[str, RegistryUser]
) -> None:
    sjv_iek, segot = await organization_id(db, SJV_IEK), await organization_id(db, SEGOT)
    anna, bertil = visit("anna", "sv"), visit("bertil", "sv")
    ingrid, gustav = visit("ingrid", "en"), visit("gustav", "en")

    # 3. Request authorisation: no role yet, four kinds of organisation.
    start = await anna.get("/request-authorisation")
    assert anna.text("notice.no_role") in start.text
    assert start.text.count('href="/request-authorisation/') >= 4

    # 4. Search Sweden for the importer: not there. "Create a new operator" only now.
    blank = await anna.get("/request-authorisation/operator")
    assert 'id="create-operator"' not in blank.text
    searched = await anna.get("/request-authorisation/operator", country="SE", q=OPERATOR)
    assert 'id="no-results"' in searched.text
    create_link = html.unescape(re.search(r'id="create-operator" href="([^"]+)"', searched.text)[1])
    assert (await anna.get("/request-authorisation/operator/new")).status_code == 303

    # 6. The form, with the name searched for; "Add identifier" adds a row and keeps the rest.
    form_page = await anna.get(create_link)
    assert f'value="{OPERATOR}"' in html.unescape(form_page.text)
    orgnr = fresh_orgnr()
    added = await anna.post(
        "/request-authorisation/operator/new",
        {**operator_form(orgnr), "action": "add_identifier"},
    )
    assert added.status_code == 200
    assert 'name="identifiers-1-value"' in added.text
    assert 'value="Fruktvägen 3"' in added.text

    # Create → the "Send application for approval" dialog, carrying the form along.
    filled = {**operator_form(orgnr), "identifiers-1-type": "vat", "identifiers-1-value": ""}
    dialog = await anna.post("/request-authorisation/operator/new", {**filled, "action": "create"})
    assert dialog.status_code == 200, dialog.text
    assert anna.text("apply.title", name=OPERATOR) in html.unescape(dialog.text)
    carried = hidden_fields(dialog.text, "apply")
    assert ("activity-competent_authority_id", str(sjv_iek)) in carried, "chosen by geography"
    sent = await anna.post(
        "/request-authorisation/operator/new",
        [
            *carried,
            ("message", "Vi importerar äpplen"),
            ("email", "anna@appelgarden.example"),
            ("phone", "+46 40 123456"),
            ("action", "send"),
        ],
    )
    assert sent.status_code == 303
    assert sent.headers["location"] == "/request-authorisation?done=operator_created"

    # 7. Pending: the notice and the personal information from identity.
    pending = await anna.get("/request-authorisation")
    assert anna.text("notice.pending") in pending.text
    assert anna.text("personal.domain_external") in pending.text
    assert "https://login.example.test/account/password" in pending.text

    # 8. The Swedish Board of Agriculture validates the operator and its first user.
    queue = await ingrid.get("/authority/operators")
    operator_id = id_in(r'href="/operators/([0-9a-f-]{36})">' + re.escape(OPERATOR), queue.text)
    detail = await ingrid.get(f"/operators/{operator_id}")
    assert 'id="operator-decision"' in detail.text
    validated = await ingrid.post(
        f"/operators/{operator_id}/decision", {"decision": "validate", "reason": ""}
    )
    assert validated.status_code == 303
    assert ingrid.text("status.valid") in (await ingrid.get(f"/operators/{operator_id}")).text
    applications = await ingrid.get("/actors/users", status="pending")
    anna_id = people["anna"].user_id
    assert f"/actors/users/{anna_id}?organization={operator_id}" in applications.text
    user_page = await ingrid.get(f"/actors/users/{anna_id}", organization=str(operator_id))
    anna_role = id_in(r'name="approve" value="([0-9a-f-]{36})"', user_page.text)
    saved = await ingrid.post(
        f"/actors/users/{anna_id}",
        {"organization": str(operator_id), "approve": str(anna_role)},
    )
    assert saved.status_code == 303
    after = await ingrid.get(f"/actors/users/{anna_id}", organization=str(operator_id))
    assert f'id="approve-{anna_role}" checked disabled' in after.text, "cannot be un-ticked"
    assert ingrid.text("role.administrator") in after.text, "the first user is administrator"

    # 10. A colleague finds the operator, ticks it and sends the application.
    found = await bertil.get("/request-authorisation/operator", country="SE", q="appelgarden")
    assert f'data-operator-id="{operator_id}"' in found.text
    choice = dict(hidden_fields(found.text, "operator-choice"))
    dialog = await bertil.get(
        "/request-authorisation/apply", **choice, organization_id=str(operator_id)
    )
    assert bertil.text("apply.submit") in dialog.text
    applied = await bertil.post(
        "/request-authorisation/apply",
        [*hidden_fields(dialog.text, "apply"), ("message", "Jag jobbar på inköp")],
    )
    assert applied.status_code == 303

    # Anna, its administrator: Actors → Users → Search pending applications → open → approve.
    assert 'href="/actors/users"' in (await anna.get("/profile")).text
    listed = await anna.get("/actors/users", status="pending")
    bertil_id = people["bertil"].user_id
    assert "Bertil Åkesson" in listed.text
    opened = await anna.get(f"/actors/users/{bertil_id}", organization=str(operator_id))
    assert "Jag jobbar på inköp" in opened.text
    bertil_role = id_in(r'name="approve" value="([0-9a-f-]{36})"', opened.text)
    saved = await anna.post(
        f"/actors/users/{bertil_id}",
        [*hidden_fields(opened.text, "user-roles"), ("approve", str(bertil_role))],
    )
    assert saved.status_code == 303
    assert saved.headers["location"].endswith("done=saved")
    approved = await anna.get(f"/actors/users/{bertil_id}", organization=str(operator_id))
    assert f'id="approve-{bertil_role}" checked disabled' in approved.text
    # A forged second approval is refused beside the role, not applied twice.
    again = await anna.post(
        f"/actors/users/{bertil_id}",
        {"organization": str(operator_id), "approve": str(bertil_role)},
    )
    assert again.status_code == 422
    assert field_error(again.text, f"role-{bertil_role}") == anna.text("error.already_decided")

    # The blue person icon makes Bertil an administrator too.
    granted = await anna.post(
        f"/actors/users/{bertil_id}/administrator",
        {"organization": str(operator_id), "grant_admin": str(bertil_role)},
    )
    assert granted.headers["location"].endswith("done=admin_granted")
    assert (
        'name="remove_admin"'
        in (await anna.get(f"/actors/users/{bertil_id}", organization=str(operator_id))).text
    )
    # Bertil takes Anna's rights away; Bertil is then the last administrator, whose rights the
    # authority cannot remove either.
    removed = await bertil.post(
        f"/actors/users/{anna_id}/administrator",
        {"organization": str(operator_id), "remove_admin": str(anna_role)},
    )
    assert removed.headers["location"].endswith("done=admin_removed")
    last = await ingrid.post(
        f"/actors/users/{bertil_id}/administrator",
        {"organization": str(operator_id), "remove_admin": str(bertil_role)},
    )
    assert last.status_code == 422
    assert field_error(last.text, f"admin-{bertil_role}") == ingrid.text("error.last_administrator")

    # 9. Responsible for the load, naming the border control post in Göteborg.
    new_role = await anna.get("/profile/new-role")
    assert 'href="/profile/new-role/responsible-for-load"' in new_role.text
    rfl_form = await anna.get("/profile/new-role/responsible-for-load")
    assert f'value="{segot}"' in rfl_form.text
    requested = await anna.post(
        "/profile/new-role/responsible-for-load",
        [
            *hidden_fields(rfl_form.text, "rfl"),
            ("organization_id", str(operator_id)),
            ("responsible_authority_ids", str(segot)),
        ],
    )
    assert requested.status_code == 303, requested.text
    # The operator's own administrators do not decide it; the border post does.
    assert (
        'name="approve"'
        not in (await bertil.get(f"/actors/users/{anna_id}", organization=str(operator_id))).text
    )
    at_post = await gustav.get("/actors/users", status="pending")
    assert "Anna Lindqvist" in at_post.text
    rfl_page = await gustav.get(f"/actors/users/{anna_id}", organization=str(operator_id))
    assert "Gränskontrollstation Göteborg" in rfl_page.text
    rfl_role = id_in(r'name="approve" value="([0-9a-f-]{36})"', rfl_page.text)
    saved = await gustav.post(
        f"/actors/users/{anna_id}", {"organization": str(operator_id), "approve": str(rfl_role)}
    )
    assert saved.status_code == 303
    roles = (await anna.get("/profile")).text
    assert anna.text("role.responsible_for_load") in roles
    assert roles.count(anna.text("status.approved")) >= 2

    # The audit trail shows every decision, and exports it.
    trail = await bertil.get("/audit")
    for action in ("operator.validated", "role_request.approved", "admin.granted", "admin.removed"):
        assert bertil.text(f"audit.action.{action}") in trail.text, action
    export = html.unescape(re.search(r'href="([^"]+)" id="export-csv"', trail.text)[1])
    csv = await bertil.get(export)
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    assert "role_request.approved" in csv.text
