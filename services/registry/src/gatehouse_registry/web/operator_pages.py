"""Operator pages: *Select an existing operator* (search), *Create a new operator* (offered only
after a search) with its *Send application for approval* step, one operator's page for its users
and authorities, and the authority's decisions on operators and their activities.

The create form works without JavaScript: "+" buttons post the form back with one more address,
contact or identifier, "Update choices" narrows the sections and activities to the chosen
chapter, and everything typed is kept. Its fields are named after the JSON API's body
(`addresses-0-street` for `addresses[0].street`), which is validated by the API's own model.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from gatehouse_registry.errors import (
    InvalidInputError,
    OrganizationNotValidError,
    PermissionDeniedError,
    RegistryError,
)
from gatehouse_registry.operators import api as operators_api
from gatehouse_registry.operators import search
from gatehouse_registry.operators import service as operators
from gatehouse_registry.operators.identifiers import IdentifierType, normalize_identifier
from gatehouse_registry.operators.models import SearchPage
from gatehouse_registry.operators.schemas import CreateOperatorRequest
from gatehouse_registry.reference_data import service as reference_data
from gatehouse_registry.reference_data.models import (
    ActivityType,
    Authority,
    Chapter,
    Country,
    Section,
)
from gatehouse_registry.roles import service as roles
from gatehouse_registry.roles.models import RoleRequest, RoleStatus
from gatehouse_registry.web.forms import FieldErrors, Form, optional, read_form, validation_errors
from gatehouse_registry.web.rendering import (
    Page,
    PageIn,
    PageRoute,
    csrf_failure,
    error_message,
    parse_uuid,
    see_other,
)

router = APIRouter(include_in_schema=False, route_class=PageRoute)

# Sections that let an operator import plants (DESIGN §1.4); others get the manual's hint.
PLANT_IMPORT_SECTIONS = frozenset({"EUPO", "EURPO"})
COMPETENT_KINDS = frozenset(operators.COMPETENT_AUTHORITY_KINDS)
SEARCH_PAGE_SIZE = 20
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
# Pending applications read to find the operators an authority has to validate.
QUEUE_PAGES = 10
QUEUE_PAGE_SIZE = 200


@dataclass(frozen=True)
class Reference:
    """Countries and chapters → sections → activity types, looked up by code."""

    countries: list[Country]
    chapters: list[Chapter]

    @classmethod
    async def load(cls, pool: asyncpg.Pool) -> Reference:
        return cls(
            countries=await reference_data.list_countries(pool),
            chapters=await reference_data.list_chapters(pool),
        )

    @property
    def country_codes(self) -> set[str]:
        return {country.code for country in self.countries}

    def chapter(self, code: str) -> Chapter | None:
        return next((c for c in self.chapters if c.code == code), None)

    def section(self, code: str) -> tuple[Chapter, Section] | None:
        for chapter in self.chapters:
            for section in chapter.sections:
                if section.code == code:
                    return chapter, section
        return None

    def activity_type(self, code: str) -> ActivityType | None:
        for chapter in self.chapters:
            for section in chapter.sections:
                for kind in section.activity_types:
                    if kind.code == code:
                        return kind
        return None


def _local_address(page: Page, reference: Reference, address: str) -> str:
    """Search answers the main address with the country's English name; in Swedish, Swedish."""
    if page.t.language != "en":
        for country in reference.countries:
            if address.endswith(f" {country.name_en}"):
                return address.removesuffix(country.name_en) + _local(page, country)
    return address


def _choice(page: Page, fieldname: str, message: str) -> str:
    """Selects say "choose", not "fill in"."""
    if fieldname.endswith(CHOICE_SUFFIXES) and message == page.t("error.required"):
        return page.t("error.choose")
    return message


# --- Select an existing operator --------------------------------------------------------------


@router.get("/request-authorisation/operator")
async def operator_search(
    page: PageIn,
    *,
    country: Annotated[str, Query(max_length=2)] = "SE",
    section: Annotated[str, Query(max_length=60)] = "",
    activity_type: Annotated[str, Query(max_length=60)] = "",
    q: Annotated[str | None, Query(max_length=100)] = None,
    number: Annotated[int, Query(alias="page", ge=1, le=search.MAX_PAGE)] = 1,
    choose: Annotated[str, Query(max_length=1)] = "",
) -> HTMLResponse:
    reference = await Reference.load(page.pool)
    form = {"country": country, "section": section, "activity_type": activity_type, "q": q or ""}
    results: SearchPage | None = None
    errors: FieldErrors = {}
    if q is not None:
        try:
            results = await search.search_operators(
                page.pool,
                actor=page.user,
                country_code=country or None,
                section_code=section or None,
                activity_type_code=activity_type or None,
                text=q,
                page=number,
                page_size=SEARCH_PAGE_SIZE,
            )
        except InvalidInputError as problem:
            fieldname = problem.field or "q"
            message = page.t("error.too_long", max=search.MAX_TEXT)
            errors[fieldname] = message if fieldname == "q" else page.t("error.choose")
    if choose and results is not None and results.items:
        errors["organization_id"] = page.t("error.choose_one")
    query = {key: value for key, value in form.items() if value}
    hits = results.items if results else ()
    return page.render(
        "operator_search.html",
        {
            "reference": reference,
            "form": form,
            "errors": errors,
            "results": results,
            "searched": q is not None,
            "without_plant_section": {
                hit.id
                for hit in hits
                if not {a.section_code for a in hit.activities} & PLANT_IMPORT_SECTIONS
            },
            "addresses": {hit.id: _local_address(page, reference, hit.address) for hit in hits},
            "query": query,
            "number": number,
            "more": bool(results and number * SEARCH_PAGE_SIZE < results.total),
        },
        status_code=422 if errors and "organization_id" not in errors else 200,
    )


# --- Create a new operator ------------------------------------------------------------------


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
                (page.t("operator.chapter_group", chapter=_local(page, c)), c.sections)
                for c in chapters
                if c.sections
            ],
            "activity_groups": [
                (_local(page, s), s.activity_types)
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


def _local(page: Page, item: Chapter | Section | ActivityType | Country) -> str:
    return item.name_sv if page.t.language == "sv" else item.name_en


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


# --- One operator: its users and authorities --------------------------------------------------


async def _operator_page(
    page: Page,
    operator_id: uuid.UUID,
    *,
    errors: FieldErrors | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    operator = await operators.get_operator(page.pool, actor=page.user, operator_id=operator_id)
    reference = await Reference.load(page.pool)
    authorities = {a.id: a for a in await reference_data.list_authorities(page.pool)}
    members: list[RoleRequest] | None
    try:
        members = await roles.list_organization_users(
            page.pool, actor=page.user, organization_id=operator_id
        )
    except PermissionDeniedError:
        members = None  # a user of the operator who is not its administrator
    return page.render(
        "operator.html",
        {
            "operator": operator,
            "reference": reference,
            "authorities": authorities,
            "addresses": {address.id: address for address in operator.addresses},
            "members": members,
            "deciding": bool(page.viewer.authorities),
            "errors": errors or {},
            "form": form or {},
        },
        status_code=422 if errors else 200,
        here=f"/operators/{operator_id}",
    )


@router.get("/operators/{operator_id}")
async def operator_page(page: PageIn, operator_id: uuid.UUID) -> HTMLResponse:
    return await _operator_page(page, operator_id)


def _decision(form: Form) -> tuple[bool | None, str]:
    decision = form.get("decision")
    approve = {"validate": True, "reject": False}.get(decision)
    return approve, form.get("reason").strip()


@router.post("/operators/{operator_id}/decision")
async def decide_operator(request: Request, page: PageIn, operator_id: uuid.UUID) -> Response:
    """The competent authority validates (with its first activity) or rejects a new operator."""
    form = await read_form(request)
    if form is None:
        return csrf_failure(request)
    approve, reason = _decision(form)
    if approve is None or (not approve and not reason) or len(reason) > 1000:
        errors = {"reason": page.t("error.reason")}
        return await _operator_page(page, operator_id, errors=errors, form=form.values())
    try:
        if approve:
            await operators.validate_operator(
                page.pool, actor=page.user, operator_id=operator_id, reason=reason or None
            )
        else:
            await operators.reject_operator(
                page.pool, actor=page.user, operator_id=operator_id, reason=reason
            )
    except RegistryError as error:
        if error.http_status not in {409, 422}:
            raise
        key = "reason" if error.field == "reason" else "operator-decision"
        errors = {key: error_message(error, page.t)}
        return await _operator_page(page, operator_id, errors=errors, form=form.values())
    done = "operator_validated" if approve else "operator_rejected"
    return see_other(f"/operators/{operator_id}", done=done)


@router.post("/activities/{activity_id}/decision")
async def decide_activity(request: Request, page: PageIn, activity_id: uuid.UUID) -> Response:
    """The activity's authority validates or rejects an activity added to a valid operator."""
    form = await read_form(request)
    if form is None:
        return csrf_failure(request)
    operator_id = parse_uuid(form.get("operator_id"))
    if operator_id is None:
        raise OrganizationNotValidError("no operator")
    approve, reason = _decision(form)
    key = f"activity-{activity_id}-reason"
    if approve is None or (not approve and not reason) or len(reason) > 1000:
        errors = {key: page.t("error.reason")}
        return await _operator_page(page, operator_id, errors=errors, form={key: reason})
    try:
        await operators.decide_activity(
            page.pool,
            actor=page.user,
            activity_id=activity_id,
            approve=approve,
            reason=reason or None,
        )
    except RegistryError as error:
        if error.http_status not in {409, 422}:
            raise
        problem = key if error.field == "reason" else f"activity-{activity_id}"
        errors = {problem: error_message(error, page.t)}
        return await _operator_page(page, operator_id, errors=errors, form={key: reason})
    done = "activity_validated" if approve else "activity_rejected"
    return see_other(f"/operators/{operator_id}", done=done)


# --- The authority's operators to validate ----------------------------------------------------


async def pending_applications(page: Page) -> list[RoleRequest]:
    """Every pending application the viewer may decide (the domain's rule), oldest first."""
    found: list[RoleRequest] = []
    for number in range(1, QUEUE_PAGES + 1):
        batch = await roles.list_decidable_requests(
            page.pool,
            actor=page.user,
            status=RoleStatus.PENDING,
            page=number,
            page_size=QUEUE_PAGE_SIZE,
        )
        found += batch
        if len(batch) < QUEUE_PAGE_SIZE:
            break
    return found


@router.get("/authority/operators")
async def authority_operators(
    page: PageIn,
    *,
    country: Annotated[str, Query(max_length=2)] = "SE",
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> HTMLResponse:
    """New operators waiting for the viewer's authority (each comes with its creator's
    application), and a search to open any operator in the authority's scope."""
    if not page.viewer.authorities:
        raise PermissionDeniedError("only authorities validate operators")
    waiting: dict[uuid.UUID, RoleRequest] = {}
    for application in await pending_applications(page):
        if (
            application.organization_kind.value == "operator"
            and application.organization_status == "pending"
        ):
            waiting.setdefault(application.organization_id, application)
    results = None
    errors: FieldErrors = {}
    if q is not None:
        try:
            results = await search.search_operators(
                page.pool, actor=page.user, country_code=country or None, text=q, page_size=50
            )
        except InvalidInputError:
            errors["q"] = page.t("error.too_long", max=search.MAX_TEXT)
    reference = await Reference.load(page.pool)
    hits = results.items if results else ()
    return page.render(
        "authority_operators.html",
        {
            "waiting": list(waiting.values()),
            "results": results,
            "addresses": {hit.id: _local_address(page, reference, hit.address) for hit in hits},
            "reference": reference,
            "form": {"country": country, "q": q or ""},
            "errors": errors,
        },
    )
