"""*Create a new operator* (offered only after a search) with its *Send application for approval*
step.

The form works without JavaScript: "+" buttons post the form back with one more address, contact
or identifier, "Update choices" narrows the sections and activities to the chosen chapter, and
everything typed is kept. Its fields are named after the JSON API's body (`addresses-0-street` for
`addresses[0].street`). The page only reads the form into the service's input: *Create* asks the
service what it would refuse (operators.service.check_new_operator) and shows each problem beside
its field, *Send* creates the operator.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from gatehouse_registry.errors import RegistryError
from gatehouse_registry.operators import service as operators
from gatehouse_registry.operators.identifiers import IdentifierType
from gatehouse_registry.operators.models import (
    ContactKind,
    NewActivity,
    NewAddress,
    NewContact,
    NewIdentifier,
)
from gatehouse_registry.operators.validation import MAX_ADDRESSES, MAX_CONTACTS, MAX_IDENTIFIERS
from gatehouse_registry.roles.models import Application
from gatehouse_registry.search import service as search
from gatehouse_registry.search.service import CloseMatch
from gatehouse_registry.web.forms import FieldErrors, Form, optional, read_form
from gatehouse_registry.web.reference import Reference, local_address, local_name
from gatehouse_registry.web.rendering import (
    Page,
    PageIn,
    PageRoute,
    csrf_failure,
    field_errors,
    is_form_error,
    see_other,
)

router = APIRouter(include_in_schema=False, route_class=PageRoute)

DATE_FIELDS = ("valid_from", "valid_to", "publication_date", "application_date")
DRAFT_ACTIONS = ("add_address", "add_phone", "add_email", "add_identifier", "refresh")
APPLICATION_FIELDS = ("message", "email", "phone")
Rows = dict[str, list[int]]


@dataclass
class Draft:
    """The create-operator form as typed: its fields and which rows it has."""

    values: dict[str, str]
    addresses: list[int] = field(default_factory=lambda: [0])
    contacts: list[tuple[int, str]] = field(default_factory=lambda: [(0, "phone"), (1, "email")])
    identifiers: list[int] = field(default_factory=lambda: [0])

    @classmethod
    def from_values(cls, values: dict[str, str]) -> Draft:
        def rows(prefix: str, probe: str, limit: int) -> list[int]:
            return [i for i in range(limit) if f"{prefix}-{i}-{probe}" in values]

        draft = cls(values)
        draft.addresses = rows("addresses", "street", MAX_ADDRESSES) or [0]
        draft.contacts = [
            (i, values[f"contacts-{i}-kind"])
            for i in rows("contacts", "kind", MAX_CONTACTS)
            if values[f"contacts-{i}-kind"] in {"phone", "email"}
        ] or [(0, "phone"), (1, "email")]
        draft.identifiers = rows("identifiers", "value", MAX_IDENTIFIERS) or [0]
        return draft

    def get(self, name: str) -> str:
        return self.values.get(name, "").strip()

    @property
    def country(self) -> str:
        return self.get(f"addresses-{self.addresses[0]}-country_code") or "SE"

    def add(self, action: str) -> None:
        """The "+" buttons: one more row (within the service's limits)."""
        if action == "add_address" and len(self.addresses) < MAX_ADDRESSES:
            row = max(self.addresses) + 1
            self.addresses.append(row)
            self.values[f"addresses-{row}-country_code"] = self.country
        elif action in {"add_phone", "add_email"} and len(self.contacts) < MAX_CONTACTS:
            row = max(i for i, _ in self.contacts) + 1
            kind = action.removeprefix("add_")
            self.contacts.append((row, kind))
            self.values[f"contacts-{row}-kind"] = kind
        elif action == "add_identifier" and len(self.identifiers) < MAX_IDENTIFIERS:
            row = max(self.identifiers) + 1
            self.identifiers.append(row)
            self.values[f"identifiers-{row}-type"] = IdentifierType.VAT.value


@dataclass
class OperatorInput:
    """The draft read into the service's input. `rows` maps a position in its lists back to the
    form's row (blank extra rows are left out); `unreadable` holds the fields that could not be
    read at all (a date that is no date), with the code of the sentence to show."""

    values: dict[str, Any]
    rows: Rows
    unreadable: dict[str, str]


def _date(draft: Draft, name: str, unreadable: dict[str, str]) -> date | None:
    text = draft.get(f"activity-{name}")
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        unreadable[f"activity-{name}"] = "invalid_date"
        return None


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _read(draft: Draft) -> OperatorInput:
    """Addresses, contacts and identifiers as lists (the first address and identifier always,
    further rows when something was typed in them), the activity and the application."""
    rows: Rows = {"addresses": [], "contacts": [], "identifiers": []}
    unreadable: dict[str, str] = {}
    addresses: list[NewAddress] = []
    for i in draft.addresses:
        street, postal_code, city = (
            draft.get(f"addresses-{i}-{key}") for key in ("street", "postal_code", "city")
        )
        if i == draft.addresses[0] or street or postal_code or city:
            rows["addresses"].append(i)
            country = draft.get(f"addresses-{i}-country_code")
            addresses.append(NewAddress(street, postal_code, city, country, not addresses))
    contacts = []
    for i, kind in draft.contacts:
        if value := draft.get(f"contacts-{i}-value"):
            rows["contacts"].append(i)
            contacts.append(NewContact(kind=ContactKind(kind), value=value))
    identifiers = []
    for i in draft.identifiers:
        kind, value = draft.get(f"identifiers-{i}-type"), draft.get(f"identifiers-{i}-value")
        if value or i == draft.identifiers[0]:
            rows["identifiers"].append(i)
            known = kind in set(IdentifierType)
            identifiers.append(NewIdentifier(IdentifierType(kind) if known else None, value))
    address_row = draft.get("activity-address_index")
    address = (
        rows["addresses"].index(int(address_row))
        if address_row.isdigit() and int(address_row) in rows["addresses"]
        else None
    )
    activity = NewActivity(
        chapter_code=draft.get("activity-chapter_code") or None,
        section_code=draft.get("activity-section_code"),
        activity_type_code=draft.get("activity-activity_type_code"),
        identification_code=draft.get("activity-identification_code"),
        valid_from=_date(draft, "valid_from", unreadable),
        valid_to=_date(draft, "valid_to", unreadable),
        publication_date=_date(draft, "publication_date", unreadable),
        application_date=_date(draft, "application_date", unreadable),
        competent_authority_id=_uuid(draft.get("activity-competent_authority_id")),
        address=address,
    )
    application = Application(
        **{name: optional(draft.values.get(name, "")) for name in APPLICATION_FIELDS}
    )
    return OperatorInput(
        values={
            "name": draft.get("name"),
            "addresses": addresses,
            "contacts": contacts,
            "identifiers": identifiers,
            "activity": activity,
            "application": application,
        },
        rows=rows,
        unreadable=unreadable,
    )


def _path(domain_field: str) -> list[str | int]:
    """`identifiers[1].value` → ["identifiers", 1, "value"]."""
    parts = re.findall(r"[^.\[\]]+", domain_field)
    return [int(part) if part.isdigit() else part for part in parts]


def _draft_field(domain_field: str, rows: Rows) -> str:
    """The form field a domain error names: positions in the service's lists become the
    form's rows (`contacts[1].value` → `contacts-3-value` when row 3 was the second filled)."""
    parts: Sequence[Any] = _path(domain_field)
    head = str(parts[0]) if parts else "form"
    if head == "application":
        return str(parts[-1])
    if head in rows and len(parts) > 1 and isinstance(parts[1], int):
        positions = rows[head]
        row = positions[parts[1]] if parts[1] < len(positions) else parts[1]
        tail = str(parts[2]) if len(parts) > 2 else "value"
        return f"{head}-{row}-{tail}"
    return "-".join(str(part) for part in parts) or "form"


def _problems(page: Page, read: OperatorInput, error: RegistryError | None) -> FieldErrors:
    """What could not be read first, then the service's problems, each beside its field."""
    errors = {name: page.t(f"error.{code}") for name, code in read.unreadable.items()}
    if error is not None:
        found = field_errors(error, page.t, lambda field: _draft_field(field, read.rows))
        for name, message in found.items():
            errors.setdefault(name, message)
    return errors


async def _close_matches(page: Page, draft: Draft) -> list[CloseMatch]:
    """Operators that may be the one being created (by its name and numbers, in its country)."""
    return await search.close_matches(
        page.database,
        actor=page.user,
        name=draft.get("name"),
        country_code=draft.country,
        identifiers=[draft.get(f"identifiers-{i}-value") for i in draft.identifiers],
    )


def _unconfirmed_duplicate(page: Page, draft: Draft, close: list[CloseMatch]) -> FieldErrors:
    """A likely duplicate needs an explicit "this is a different company"."""
    if any(match.likely_duplicate for match in close) and draft.get("different_company") != "yes":
        return {"different_company": page.t("error.confirm_different_company")}
    return {}


async def _draft_page(
    page: Page,
    draft: Draft,
    *,
    errors: FieldErrors | None = None,
    reference: Reference | None = None,
    close: list[CloseMatch] | None = None,
) -> HTMLResponse:
    reference = reference or await Reference.load(page.database)
    if close is None:
        close = await _close_matches(page, draft)
    chapter_code = draft.get("activity-chapter_code")
    section_code = draft.get("activity-section_code")
    chapter = reference.chapter(chapter_code)
    chapters = [chapter] if chapter else reference.chapters
    sections = [s for c in chapters for s in c.sections]
    chosen_section = next((s for s in sections if s.code == section_code), None)
    return page.render(
        "operator_new.html",
        {
            "reference": reference,
            "draft": draft,
            "form": draft.values,
            "errors": errors or {},
            "section_groups": [
                (page.t("operator.chapter_group", chapter=local_name(page, c)), c.sections)
                for c in chapters
                if c.sections
            ],
            "activity_groups": [
                (local_name(page, s), s.activity_types)
                for s in ([chosen_section] if chosen_section else sections)
            ],
            "authorities": await operators.list_competent_authorities(
                page.database, country_code=draft.country, chapter_code=chapter_code
            ),
            "identifier_types": [kind.value for kind in IdentifierType],
            "application": [
                (name, draft.values[name]) for name in APPLICATION_FIELDS if draft.values.get(name)
            ],
            "close_matches": close,
            "close_addresses": {
                match.hit.id: local_address(page, reference, match.hit.address) for match in close
            },
            "needs_confirmation": any(match.likely_duplicate for match in close),
        },
        status_code=422 if errors else 200,
        here="/request-authorisation/operator",
    )


async def _choose_authority_by_geography(page: Page, draft: Draft) -> None:
    """With a chapter chosen and no authority, the only competent authority of the country for
    it is chosen (as TRACES does)."""
    chapter = draft.get("activity-chapter_code")
    if draft.get("activity-competent_authority_id") or not chapter:
        return
    candidates = await operators.list_competent_authorities(
        page.database, country_code=draft.country, chapter_code=chapter
    )
    if len(candidates) == 1:
        draft.values["activity-competent_authority_id"] = str(candidates[0].id)


@router.get("/request-authorisation/operator/new")
async def new_operator_form(
    page: PageIn,
    *,
    country: Annotated[str, Query(max_length=2)] = "SE",
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    if q is None:
        # Offered only after a search, so that nobody creates an operator that exists already.
        return see_other("/request-authorisation/operator")
    reference = await Reference.load(page.database)
    draft = Draft(
        {
            "name": q,
            "addresses-0-country_code": country if country in reference.country_codes else "SE",
            "contacts-0-kind": "phone",
            "contacts-1-kind": "email",
            "identifiers-0-type": IdentifierType.NATIONAL_REGISTRATION_NUMBER.value,
            "activity-address_index": "0",
        }
    )
    return await _draft_page(page, draft, reference=reference)


@router.post("/request-authorisation/operator/new")
async def new_operator(request: Request, page: PageIn) -> Response:
    """`action`: a "+" button or "refresh" (the form again, one row more), "create" (checked →
    the application dialog), "back" (from the dialog to the form), "send" (create it)."""
    form = await read_form(request)
    if form is None:
        return csrf_failure(request)
    action = form.get("action", "create")
    draft = Draft.from_values(form.values())
    if action in DRAFT_ACTIONS or action == "back":
        draft.add(action)
        return await _draft_page(page, draft)
    await _choose_authority_by_geography(page, draft)
    return await _confirm_or_create(page, draft, form, sending=action == "send")


async def _confirm_or_create(page: Page, draft: Draft, form: Form, *, sending: bool) -> Response:
    """Checked by the service and, for a likely duplicate, confirmed as a different company:
    the application dialog, or (`sending`) the operator created."""
    read = _read(draft)
    try:
        await operators.check_new_operator(page.database, actor=page.user, **read.values)
        if read.unreadable:
            return await _draft_page(page, draft, errors=_problems(page, read, None))
        close = await _close_matches(page, draft)
        if unconfirmed := _unconfirmed_duplicate(page, draft, close):
            return await _draft_page(page, draft, errors=unconfirmed, close=close)
        if not sending:
            return _confirm_page(page, draft, form)
        await operators.create_operator(page.database, actor=page.user, **read.values)
    except RegistryError as error:
        return await _refused(page, draft, form, read, error)
    return see_other("/request-authorisation", done="operator_created")


async def _refused(
    page: Page, draft: Draft, form: Form, read: OperatorInput, error: RegistryError
) -> HTMLResponse:
    """The service's refusal beside the fields: on the dialog when only the application's
    fields are at fault, on the form otherwise."""
    if not is_form_error(error):
        raise error
    errors = _problems(page, read, error)
    if set(errors) <= set(APPLICATION_FIELDS):
        return _confirm_page(page, draft, form, errors=errors)
    return await _draft_page(page, draft, errors=errors)


def _confirm_page(
    page: Page, draft: Draft, form: Form, *, errors: FieldErrors | None = None
) -> HTMLResponse:
    """*Create* → the same *Send application for approval* dialog, carrying the form along."""
    return page.render(
        "operator_confirm.html",
        {
            "name": " ".join(draft.get("name").split()),
            # As checked: the authority chosen by geography is carried along too.
            "hidden": [
                (key, draft.values.get(key, value))
                for key, value in form.hidden(*APPLICATION_FIELDS)
            ],
            "form": {name: draft.values.get(name, "") for name in APPLICATION_FIELDS},
            "errors": errors or {},
        },
        status_code=422 if errors else 200,
        here="/request-authorisation/operator",
    )
