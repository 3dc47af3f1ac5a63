"""Operators: create one (with its first activity and its creator's application), read it within
one's scope, and add an activity to a valid one. The authority's decisions are in
operators.decisions, the SQL in operators.queries.

Every function opens one transaction, checks the actor's valid roles inside it, writes the change,
its audit entry and its event together — so a refused or failed call leaves nothing behind.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg
from google.protobuf.message import Message

from gatehouse.events.v1 import registry_events_pb2 as events
from gatehouse_common.db import Connection
from gatehouse_registry.access import (
    Actor,
    OrganizationKind,
    Principal,
    load_principal,
    may_read_operator,
)
from gatehouse_registry.audit import service as audit
from gatehouse_registry.errors import (
    DuplicateIdentifierError,
    InvalidInputError,
    NotFoundError,
    OrganizationNotValidError,
    PermissionDeniedError,
)
from gatehouse_registry.events import emit
from gatehouse_registry.operators import queries
from gatehouse_registry.operators.identifiers import Identifier as CheckedIdentifier
from gatehouse_registry.operators.identifiers import normalize_identifier
from gatehouse_registry.operators.models import (
    Activity,
    ContactKind,
    CreatedOperator,
    IdentifierHolder,
    NewActivity,
    NewAddress,
    NewContact,
    NewIdentifier,
    Operator,
    OrganizationStatus,
)
from gatehouse_registry.reference_data import queries as reference_data
from gatehouse_registry.reference_data.service import NO_CHAPTER
from gatehouse_registry.roles.models import Application
from gatehouse_registry.roles.service import insert_role_request

MAX_ADDRESSES = 10
MAX_CONTACTS = 20
MAX_IDENTIFIERS = 10
# Authorities an operator's activity may be assigned to (border posts decide loads, not
# operators).
COMPETENT_AUTHORITY_KINDS = ("central", "local")


def clean_text(value: str, *, field: str, max_length: int, required: bool = True) -> str:
    """Runs of white space become one space; refused when empty (if `required`) or too long."""
    cleaned = " ".join(value.split())
    if required and not cleaned:
        raise InvalidInputError("must not be empty", field=field)
    if len(cleaned) > max_length:
        raise InvalidInputError(f"at most {max_length} characters", field=field)
    return cleaned


def _main_index(addresses: Sequence[NewAddress]) -> int:
    if not addresses:
        raise InvalidInputError("at least one address is needed", field="addresses")
    if len(addresses) > MAX_ADDRESSES:
        raise InvalidInputError(f"at most {MAX_ADDRESSES} addresses", field="addresses")
    mains = [index for index, address in enumerate(addresses) if address.is_main]
    if len(mains) > 1:
        raise InvalidInputError("only one address can be the main address", field="addresses")
    return mains[0] if mains else 0


def _checked_addresses(addresses: Sequence[NewAddress], main: int) -> list[NewAddress]:
    return [
        NewAddress(
            street=clean_text(address.street, field=f"addresses[{index}].street", max_length=200),
            postal_code=clean_text(
                address.postal_code, field=f"addresses[{index}].postal_code", max_length=20
            ),
            city=clean_text(address.city, field=f"addresses[{index}].city", max_length=100),
            country_code=address.country_code,
            is_main=index == main,
        )
        for index, address in enumerate(addresses)
    ]


def _checked_contacts(contacts: Sequence[NewContact]) -> list[NewContact]:
    if len(contacts) > MAX_CONTACTS:
        raise InvalidInputError(f"at most {MAX_CONTACTS} contacts", field="contacts")
    kinds = {contact.kind for contact in contacts}
    for kind in (ContactKind.PHONE, ContactKind.EMAIL):
        if kind not in kinds:
            # The authority must be able to reach a new operator (the manual insists on both).
            raise InvalidInputError(f"add at least one {kind.value} contact", field="contacts")
    return [NewContact(kind=contact.kind, value=contact.value.strip()) for contact in contacts]


def _checked_identifiers(
    identifiers: Sequence[NewIdentifier], country_code: str
) -> list[CheckedIdentifier]:
    if not identifiers:
        raise InvalidInputError(
            "add at least one identifier (e.g. the national registration number)",
            field="identifiers",
        )
    if len(identifiers) > MAX_IDENTIFIERS:
        raise InvalidInputError(f"at most {MAX_IDENTIFIERS} identifiers", field="identifiers")
    checked = []
    seen = set()
    for index, identifier in enumerate(identifiers):
        normalized = normalize_identifier(
            kind=identifier.type,
            value=identifier.value,
            country_code=country_code,
            field=f"identifiers[{index}].value",
        )
        key = (normalized.type, normalized.country_code, normalized.value)
        if key in seen:
            raise InvalidInputError("the same identifier twice", field=f"identifiers[{index}]")
        seen.add(key)
        checked.append(normalized)
    return checked


def _duplicate(
    index: int, identifier: CheckedIdentifier, holder: IdentifierHolder
) -> DuplicateIdentifierError:
    return DuplicateIdentifierError(
        f"{identifier.type.value} {identifier.value} is already registered for "
        f"{holder.name}; ask for access to that operator instead",
        field=f"identifiers[{index}].value",
        existing_operator_id=str(holder.operator_id),
        existing_operator_name=holder.name,
    )


async def _checked_activity(
    connection: Connection, activity: NewActivity, *, country_code: str, field: str
) -> NewActivity:
    """Checks codes, dates and the competent authority; returns the activity as stored."""
    section = await reference_data.section(connection, activity.section_code)
    if section is None:
        raise InvalidInputError(
            f"unknown section {activity.section_code!r}", field=f"{field}.section_code"
        )
    chapter = section.chapter_code
    if activity.chapter_code is not None and activity.chapter_code != (chapter or NO_CHAPTER):
        raise InvalidInputError(
            f"section {activity.section_code} is not in chapter {activity.chapter_code!r}",
            field=f"{field}.chapter_code",
        )
    if not await reference_data.activity_type_in_section(
        connection, activity.activity_type_code, section_code=activity.section_code
    ):
        raise InvalidInputError(
            f"unknown activity {activity.activity_type_code!r} in section {activity.section_code}",
            field=f"{field}.activity_type_code",
        )
    identification_code = clean_text(
        activity.identification_code, field=f"{field}.identification_code", max_length=100
    )
    if activity.valid_to is not None and activity.valid_to < activity.valid_from:
        raise InvalidInputError("must not be before valid_from", field=f"{field}.valid_to")
    authority = await reference_data.authority(connection, activity.competent_authority_id)
    if (
        authority is None
        or authority.authority_kind not in COMPETENT_AUTHORITY_KINDS
        or authority.country_code != country_code
        or (chapter is not None and chapter not in authority.chapter_codes)
    ):
        raise InvalidInputError(
            f"choose a competent authority of {country_code} that handles "
            f"{chapter or 'this section'}",
            field=f"{field}.competent_authority_id",
        )
    return NewActivity(
        section_code=activity.section_code,
        activity_type_code=activity.activity_type_code,
        identification_code=identification_code,
        valid_from=activity.valid_from,
        competent_authority_id=activity.competent_authority_id,
        address=activity.address,
        chapter_code=chapter,
        valid_to=activity.valid_to,
        publication_date=activity.publication_date,
        application_date=activity.application_date,
    )


async def record_operator_change(
    connection: Connection,
    *,
    principal: Principal,
    operator_id: uuid.UUID,
    authority_id: uuid.UUID | None,
    event_type: str,
    message: Message,
    action: str,
    subject_type: str = "operator",
    subject_id: uuid.UUID | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Emit the operator's outbox event and write the audit entry, in the caller's transaction:
    one never exists without the other. The audit subject is the operator unless `subject_id`
    (e.g. an activity's) says otherwise; `authority_id` is the one that may read the entry."""
    await emit(connection, event_type, subject=operator_id, message=message)
    await audit.record(
        connection,
        actor=principal,
        action=action,
        subject_type=subject_type,
        subject_id=operator_id if subject_id is None else subject_id,
        organization_id=operator_id,
        scope=[authority_id],
        reason=reason,
        details=details,
    )


async def create_operator(
    pool: asyncpg.Pool,
    *,
    actor: Actor,
    name: str,
    addresses: Sequence[NewAddress],
    contacts: Sequence[NewContact],
    identifiers: Sequence[NewIdentifier],
    activity: NewActivity,
    application: Application,
) -> CreatedOperator:
    """Create a pending operator with its first activity, and the creator's pending request to
    become its user — one transaction, so an invalid activity leaves no orphan operator."""
    name = clean_text(name, field="name", max_length=200)
    main = _main_index(addresses)
    country_code = addresses[main].country_code
    contacts = _checked_contacts(contacts)
    checked_identifiers = _checked_identifiers(identifiers, country_code)
    address_index = activity.address
    if not isinstance(address_index, int) or not 0 <= address_index < len(addresses):
        raise InvalidInputError(
            "choose one of the operator's addresses", field="activity.address_index"
        )
    operator_id = uuid.uuid4()
    async with pool.acquire() as connection, connection.transaction():
        principal = await load_principal(connection, actor)
        principal.require_active()
        for index, address in enumerate(addresses):
            if not await reference_data.country_exists(connection, address.country_code):
                raise InvalidInputError(
                    f"unknown country code {address.country_code!r}",
                    field=f"addresses[{index}].country_code",
                )
        activity = await _checked_activity(
            connection, activity, country_code=country_code, field="activity"
        )
        for index, identifier in enumerate(checked_identifiers):
            holder = await queries.identifier_holder(connection, identifier)
            if holder is not None:
                raise _duplicate(index, identifier, holder)
        stored_addresses = _checked_addresses(addresses, main)
        main_address = stored_addresses[main]
        await queries.insert_operator(
            connection,
            operator_id=operator_id,
            name=name,
            country_code=country_code,
            competent_authority_id=activity.competent_authority_id,
            search_source=" ".join(
                (name, main_address.street, main_address.postal_code, main_address.city)
            ),
            created_by=actor.user_id,
        )
        address_ids = await queries.insert_addresses(
            connection, operator_id, stored_addresses, main=main
        )
        await queries.insert_contacts(connection, operator_id, contacts)
        if not await queries.insert_identifiers(connection, operator_id, checked_identifiers):
            # A parallel creation registered the same number between our check and insert.
            raise DuplicateIdentifierError(
                "an identifier was registered for another operator a moment ago; search again",
                field="identifiers",
            )
        activity_id = await queries.insert_activity(
            connection,
            operator_id=operator_id,
            activity=activity,
            address_id=address_ids[address_index],
            created_by=actor.user_id,
        )
        await record_operator_change(
            connection,
            principal=principal,
            operator_id=operator_id,
            authority_id=activity.competent_authority_id,
            event_type="registry.operator.created",
            message=events.OperatorCreated(
                operator_id=str(operator_id),
                created_by_user_id=str(actor.user_id),
                competent_authority_id=str(activity.competent_authority_id),
            ),
            action="operator.created",
            details={"name": name, "first_activity_id": str(activity_id)},
        )
        role_request_id = await insert_role_request(
            connection,
            principal=principal,
            organization_id=operator_id,
            organization_kind=OrganizationKind.OPERATOR,
            competent_authority_id=activity.competent_authority_id,
            application=application,
        )
        operator = await reload_operator(connection, operator_id)
    return CreatedOperator(operator=operator, role_request_id=role_request_id)


async def reload_operator(connection: Connection, operator_id: uuid.UUID) -> Operator:
    operator = await queries.load_operator(connection, operator_id)
    # Operators are never deleted, and this one was just read or written in this transaction.
    assert operator is not None  # noqa: S101
    return operator


async def get_operator(pool: asyncpg.Pool, *, actor: Actor, operator_id: uuid.UUID) -> Operator:
    """The whole operator (contacts, identifiers, activities) for its valid users and the
    authorities in scope; everyone else sees only what search shows."""
    async with pool.acquire() as connection, connection.transaction():
        principal = await load_principal(connection, actor)
        principal.require_active()
        operator = await queries.load_operator(connection, operator_id)
        if operator is None:
            raise NotFoundError(f"no operator {operator_id}")
        if not await may_read_operator(connection, principal, operator_id):
            raise PermissionDeniedError("only the operator's users and its authorities")
    return operator


async def add_activity(
    pool: asyncpg.Pool, *, actor: Actor, operator_id: uuid.UUID, activity: NewActivity
) -> Activity:
    """An administrator of a valid operator adds an activity (e.g. organic besides plants); the
    authority chosen for it by country and chapter validates it."""
    async with pool.acquire() as connection, connection.transaction():
        principal = await load_principal(connection, actor)
        principal.require_active()
        operator = await queries.lock_operator(connection, operator_id)
        if operator is None:
            raise NotFoundError(f"no operator {operator_id}")
        if operator_id not in principal.admin_of:
            raise PermissionDeniedError("only the operator's administrators add activities")
        if operator.status is not OrganizationStatus.VALID:
            raise OrganizationNotValidError("the operator is not valid")
        address_id = activity.address
        if not isinstance(address_id, uuid.UUID) or not await queries.address_of_operator(
            connection, address_id, operator_id
        ):
            raise InvalidInputError("choose one of the operator's addresses", field="address_id")
        activity = await _checked_activity(
            connection, activity, country_code=operator.country_code, field=""
        )
        activity_id = await queries.insert_activity(
            connection,
            operator_id=operator_id,
            activity=activity,
            address_id=address_id,
            created_by=actor.user_id,
        )
        await record_operator_change(
            connection,
            principal=principal,
            operator_id=operator_id,
            authority_id=activity.competent_authority_id,
            event_type="registry.activity.created",
            message=events.ActivityCreated(
                activity_id=str(activity_id),
                operator_id=str(operator_id),
                created_by_user_id=str(actor.user_id),
                authority_id=str(activity.competent_authority_id),
            ),
            action="activity.created",
            subject_type="activity",
            subject_id=activity_id,
            details={"activity_type_code": activity.activity_type_code},
        )
        return await reload_activity(connection, activity_id)


async def reload_activity(connection: Connection, activity_id: uuid.UUID) -> Activity:
    activity = await queries.load_activity(connection, activity_id)
    if activity is None:
        raise NotFoundError(f"no activity {activity_id}")
    return activity
