"""*Create a new operator* (offered only after a search) with its *Send application for approval*
step.

The form works without JavaScript: "+" buttons post the form back with one more address, contact
or identifier, "Update choices" narrows the sections and activities to the chosen chapter, and
everything typed is kept. Its fields are named after the JSON API's body (`addresses-0-street` for
`addresses[0].street`), which is validated by the API's own model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from gatehouse_registry.errors import InvalidInputError, RegistryError
from gatehouse_registry.operators import api as operators_api
from gatehouse_registry.operators import service as operators
from gatehouse_registry.operators.identifiers import IdentifierType, normalize_identifier
from gatehouse_registry.operators.schemas import CreateOperatorRequest
from gatehouse_registry.reference_data import service as reference_data
from gatehouse_registry.reference_data.models import Authority
from gatehouse_registry.web.forms import FieldErrors, Form, optional, read_form, validation_errors
from gatehouse_registry.web.reference import Reference, local_name
from gatehouse_registry.web.rendering import (
    Page,
    PageIn,
    PageRoute,
    csrf_failure,
    error_message,
    see_other,
)

router = APIRouter(include_in_schema=False, route_class=PageRoute)

COMPETENT_KINDS = frozenset(operators.COMPETENT_AUTHORITY_KINDS)
# Selects: an empty one is "choose one", not "fill in".
CHOICE_SUFFIXES = (
    "country_code",
    "chapter_code",
    "section_code",
    "activity_type_code",
    "competent_authority_id",
    "address_index",
    "type",
)
DATE_FIELDS = ("valid_from", "valid_to", "publication_date", "application_date")
DRAFT_ACTIONS = ("add_address", "add_phone", "add_email", "add_identifier", "refresh")


def _choice(page: Page, fieldname: str, message: str) -> str:
    """Selects say "choose", not "fill in"."""
    if fieldname.endswith(CHOICE_SUFFIXES) and message == page.t("error.required"):
        return page.t("error.choose")
    return message


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
        draft.addresses = rows("addresses", "street", operators.MAX_ADDRESSES) or [0]
        draft.contacts = [
            (i, values[f"contacts-{i}-kind"])
            for i in rows("contacts", "kind", operators.MAX_CONTACTS)
            if values[f"contacts-{i}-kind"] in {"phone", "email"}
        ] or [(0, "phone"), (1, "email")]
        draft.identifiers = rows("identifiers", "value", operators.MAX_IDENTIFIERS) or [0]
        return draft

    def get(self, name: str) -> str:
        return self.values.get(name, "").strip()

    @property
    def country(self) -> str:
        return self.get(f"addresses-{self.addresses[0]}-country_code") or "SE"

    def add(self, action: str) -> None:
        """The "+" buttons: one more row (within the API's limits)."""
        if action == "add_address" and len(self.addresses) < operators.MAX_ADDRESSES:
            row = max(self.addresses) + 1
            self.addresses.append(row)
            self.values[f"addresses-{row}-country_code"] = self.country
        elif action in {"add_phone", "add_email"} and len(self.contacts) < operators.MAX_CONTACTS:
            row = max(i for i, _ in self.contacts) + 1
            kind = action.removeprefix("add_")
            self.contacts.append((row, kind))
            self.values[f"contacts-{row}-kind"] = kind
        elif action == "add_identifier" and len(self.identifiers) < operators.MAX_IDENTIFIERS:
            row = max(self.identifiers) + 1
            self.identifiers.append(row)
            self.values[f"identifiers-{row}-type"] = IdentifierType.VAT.value


@dataclass
class Checked:
    """The draft as the API's request body, or the errors beside its fields; `rows` maps a
    position in the body's lists back to the form's row (blank extra rows are left out)."""

    body: CreateOperatorRequest | None
    errors: FieldErrors
    rows: dict[str, list[int]]


def _path(domain_field: str) -> list[str | int]:
    """`identifiers[1].value` → ["identifiers", 1, "value"]."""
    parts = re.findall(r"[^.\[\]]+", domain_field)
    return [int(part) if part.isdigit() else part for part in parts]


def _draft_field(path: Sequence[Any], rows: dict[str, list[int]]) -> str:
    """The form field for a position in the API body (pydantic's loc or a domain error's
    field)."""
    parts = [part for part in path if part not in {"phone", "email"} or part == path[-1]]
    head = str(parts[0]) if parts else "form"
    if head == "application":
        return str(parts[-1])
    if head in rows and len(parts) > 1 and isinstance(parts[1], int):
        positions = rows[head]
        row = positions[parts[1]] if parts[1] < len(positions) else parts[1]
        if head == "contacts":
            return f"contacts-{row}-value"
        tail = str(parts[2]) if len(parts) > 2 else ("value" if head == "identifiers" else "street")
        return f"{head}-{row}-{tail}"
    return "-".join(str(part) for part in parts) or "form"


def _candidate_authorities(authorities: list[Authority], chapter: str) -> list[Authority]:
    return [
        a
        for a in authorities
        if a.authority_kind in COMPETENT_KINDS
        and (chapter in {"", reference_data.NO_CHAPTER} or chapter in a.chapter_codes)
    ]


Rows = dict[str, list[int]]
Entries = list[dict[str, Any]]


def _draft_lists(
    page: Page, draft: Draft, errors: FieldErrors
) -> tuple[Entries, Entries, Entries, Rows]:
    """Addresses, contacts and identifiers as the API body lists them (extra rows left empty
    are skipped), with the form row of each entry."""
    rows: Rows = {"addresses": [], "contacts": [], "identifiers": []}
    addresses: Entries = []
    for i in draft.addresses:
        address = {
            key: draft.get(f"addresses-{i}-{key}")
            for key in ("street", "postal_code", "city", "country_code")
        }
        if (
            i == draft.addresses[0]
            or address["street"]
            or address["postal_code"]
            or address["city"]
        ):
            rows["addresses"].append(i)
            addresses.append({**address, "main": not addresses})
    contacts: Entries = []
    for i, kind in draft.contacts:
        if value := draft.get(f"contacts-{i}-value"):
            rows["contacts"].append(i)
            contacts.append({"kind": kind, "value": value})
    if {c["kind"] for c in contacts} != {"phone", "email"}:
        errors["contacts"] = page.t("error.contacts")
    identifiers: Entries = []
    for i in draft.identifiers:
        kind, value = draft.get(f"identifiers-{i}-type"), draft.get(f"identifiers-{i}-value")
        if value or i == draft.identifiers[0]:
            rows["identifiers"].append(i)
            identifiers.append({"type": kind, "value": value})
            if value and not _identifier_ok(kind, value, draft.country):
                errors[f"identifiers-{i}-value"] = page.t("error.identifier")
    return addresses, contacts, identifiers, rows


def _identifier_ok(kind: str, value: str, country: str) -> bool:
    """The domain's own check (checksums by country); an unknown type is the model's error."""
    if kind not in set(IdentifierType):
        return True
    try:
        normalize_identifier(kind=IdentifierType(kind), value=value, country_code=country, field="")
    except InvalidInputError:
        return False
    return True


def _chosen_authority(
    page: Page, draft: Draft, authorities: list[Authority], errors: FieldErrors
) -> str:
    chapter = draft.get("activity-chapter_code")
    candidates = _candidate_authorities(authorities, chapter)
    chosen = draft.get("activity-competent_authority_id")
    if not chosen and len(candidates) == 1 and chapter:
        # Chosen by geography: the only authority of the country for the chapter.
        chosen = str(candidates[0].id)
        draft.values["activity-competent_authority_id"] = chosen
    elif chosen and chosen not in {str(a.id) for a in candidates}:
        errors["activity-competent_authority_id"] = page.t("error.authority")
    return chosen


def _check_draft(
    page: Page, draft: Draft, reference: Reference, authorities: list[Authority]
) -> Checked:
    errors: FieldErrors = {}
    addresses, contacts, identifiers, rows = _draft_lists(page, draft, errors)
    _check_activity_choices(page, draft, reference, errors)
    authority = _chosen_authority(page, draft, authorities, errors)
    address_row = draft.get("activity-address_index")
    address_index: int | str = address_row
    if address_row.isdigit() and int(address_row) in rows["addresses"]:
        address_index = rows["addresses"].index(int(address_row))
    elif address_row:
        errors["activity-address_index"] = page.t("error.choose")
    data = {
        "name": draft.get("name"),
        "addresses": addresses,
        "contacts": contacts,
        "identifiers": identifiers,
        "activity": {
            "chapter_code": draft.get("activity-chapter_code") or None,
            "section_code": draft.get("activity-section_code"),
            "activity_type_code": draft.get("activity-activity_type_code"),
            "identification_code": draft.get("activity-identification_code"),
            **{name: draft.get(f"activity-{name}") or None for name in DATE_FIELDS},
            "competent_authority_id": authority,
            "address_index": address_index,
        },
        "application": {
            name: optional(draft.values.get(name, "")) for name in ("message", "email", "phone")
        },
    }
    body = None
    try:
        body = CreateOperatorRequest.model_validate(data)
    except ValidationError as error:
        found = validation_errors(error, page.t, lambda loc: _draft_field(loc, rows))
        for name, message in found.items():
            errors.setdefault(name, _choice(page, name, message))
    return Checked(body=None if errors else body, errors=errors, rows=rows)


def _check_activity_choices(
    page: Page, draft: Draft, reference: Reference, errors: FieldErrors
) -> None:
    """Chapter → section → activity must fit together; Valid to not before Valid from."""
    chapter = draft.get("activity-chapter_code")
    section = draft.get("activity-section_code")
    kind = draft.get("activity-activity_type_code")
    found = reference.section(section) if section else None
    if section and (found is None or (chapter and found[0].code != chapter)):
        errors["activity-section_code"] = page.t("error.section")
    activity_type = reference.activity_type(kind) if kind else None
    if kind and (activity_type is None or (section and activity_type.section_code != section)):
        errors["activity-activity_type_code"] = page.t("error.activity_type")
    dates: dict[str, date] = {}
    for name in DATE_FIELDS:
        text = draft.get(f"activity-{name}")
        if text:
            try:
                dates[name] = date.fromisoformat(text)
            except ValueError:
                errors[f"activity-{name}"] = page.t("error.date")
    if "valid_from" in dates and "valid_to" in dates and dates["valid_to"] < dates["valid_from"]:
        errors["activity-valid_to"] = page.t("error.valid_to")


async def _draft_page(
    page: Page,
    draft: Draft,
    *,
    errors: FieldErrors | None = None,
    reference: Reference | None = None,
) -> HTMLResponse:
    reference = reference or await Reference.load(page.pool)
    chapter_code = draft.get("activity-chapter_code")
    section_code = draft.get("activity-section_code")
    chapter = reference.chapter(chapter_code)
    chapters = [chapter] if chapter else reference.chapters
    sections = [s for c in chapters for s in c.sections]
    chosen_section = next((s for s in sections if s.code == section_code), None)
    authorities = await reference_data.list_authorities(page.pool, country_code=draft.country)
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
            "authorities": _candidate_authorities(authorities, chapter_code),
            "identifier_types": [kind.value for kind in IdentifierType],
            "application": [
                (name, draft.values[name])
                for name in ("message", "email", "phone")
                if draft.values.get(name)
            ],
        },
        status_code=422 if errors else 200,
        here="/request-authorisation/operator",
    )


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
    reference = await Reference.load(page.pool)
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
    if action in DRAFT_ACTIONS:
        draft.add(action)
        return await _draft_page(page, draft)
    reference = await Reference.load(page.pool)
    authorities = await reference_data.list_authorities(page.pool, country_code=draft.country)
    checked = _check_draft(page, draft, reference, authorities)
    errors = checked.errors
    if not errors and checked.body is not None and action != "back":
        if action != "send":
            return _confirm_page(page, draft, form, checked.body)
        try:
            await operators_api.create_operator(checked.body, page.pool, page.user)
        except RegistryError as error:
            if error.http_status not in {409, 422}:
                raise
            name = _draft_field(_path(error.field), checked.rows) if error.field else "form"
            errors = {name: _choice(page, name, error_message(error, page.t))}
            if name in {"message", "email", "phone"}:
                return _confirm_page(page, draft, form, checked.body, errors=errors)
        else:
            return see_other("/request-authorisation", done="operator_created")
    return await _draft_page(page, draft, errors=errors, reference=reference)


def _confirm_page(
    page: Page,
    draft: Draft,
    form: Form,
    body: CreateOperatorRequest,
    *,
    errors: FieldErrors | None = None,
) -> HTMLResponse:
    """*Create* → the same *Send application for approval* dialog, carrying the form along."""
    return page.render(
        "operator_confirm.html",
        {
            "name": body.name,
            # As checked: the authority chosen by geography is carried along too.
            "hidden": [
                (key, draft.values.get(key, value))
                for key, value in form.hidden("message", "email", "phone")
            ],
            "form": {name: draft.values.get(name, "") for name in ("message", "email", "phone")},
            "errors": errors or {},
        },
        status_code=422 if errors else 200,
        here="/request-authorisation/operator",
    )
