"""Operators: create one (with its first activity and its creator's application), read it within
one's scope, and the competent authority's decisions on operators and activities.

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
    is_in_authority_scope,
    load_principal,
)
from gatehouse_registry.audit import service as audit
from gatehouse_registry.errors import (
    AlreadyDecidedError,
    DuplicateIdentifierError,
    InvalidInputError,
    NotFoundError,
    OrganizationNotValidError,
    PermissionDeniedError,
)
from gatehouse_registry.events import emit
from gatehouse_registry.operators.identifiers import Identifier as CheckedIdentifier
from gatehouse_registry.operators.identifiers import IdentifierType, normalize_identifier
from gatehouse_registry.operators.models import (
    Activity,
    Address,
    Contact,
    ContactKind,
    CreatedOperator,
    Identifier,
    NewActivity,
    NewAddress,
    NewContact,
    NewIdentifier,
    Operator,
    OrganizationStatus,
)
from gatehouse_registry.reference_data.service import NO_CHAPTER, get_authority
from gatehouse_registry.roles.decisions import reject_pending_requests_of
from gatehouse_registry.roles.models import Application
from gatehouse_registry.roles.service import insert_role_request

MAX_ADDRESSES = 10
MAX_CONTACTS = 20
MAX_IDENTIFIERS = 10
# Authorities an operator's activity may be assigned to (border posts decide loads, not
# operators).
COMPETENT_AUTHORITY_KINDS = ("central", "local")


def _text(value: str, *, field: str, max_length: int, required: bool = True) -> str:
    cleaned = " ".join(value.split())
    if required and not cleaned:
        raise InvalidInputError("must not be empty", field=field)
    if len(cleaned) > max_length:
        raise InvalidInputError(f"at most {max_length} characters", field=field)
    return cleaned


async def _check_country(connection: Connection, code: str, *, field: str) -> None:
    if not await connection.fetchval("SELECT 1 FROM countries WHERE code = $1", code):
        raise InvalidInputError(f"unknown country code {code!r}", field=field)


def _main_index(addresses: Sequence[NewAddress]) -> int:
    if not addresses:
        raise InvalidInputError("at least one address is needed", field="addresses")
    if len(addresses) > MAX_ADDRESSES:
        raise InvalidInputError(f"at most {MAX_ADDRESSES} addresses", field="addresses")
    mains = [index for index, address in enumerate(addresses) if address.is_main]
    if len(mains) > 1:
        raise InvalidInputError("only one address can be the main address", field="addresses")
    return mains[0] if mains else 0


def _check_contacts(contacts: Sequence[NewContact]) -> None:
    if len(contacts) > MAX_CONTACTS:
        raise InvalidInputError(f"at most {MAX_CONTACTS} contacts", field="contacts")
    kinds = {contact.kind for contact in contacts}
    for kind in (ContactKind.PHONE, ContactKind.EMAIL):
        if kind not in kinds:
            # The authority must be able to reach a new operator (the manual insists on both).
            raise InvalidInputError(f"add at least one {kind.value} contact", field="contacts")


def _check_identifiers(
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


async def _existing_holder(
    connection: Connection, identifier: CheckedIdentifier
) -> asyncpg.Record | None:
    return await connection.fetchrow(
        """SELECT o.id, o.name FROM identifiers i JOIN organizations o ON o.id = i.organization_id
            WHERE i.type = $1 AND i.country_code = $2 AND i.value = $3 AND i.active""",
        identifier.type.value,
        identifier.country_code,
        identifier.value,
    )


def _duplicate(index: int, identifier: CheckedIdentifier, holder: Any) -> DuplicateIdentifierError:
    return DuplicateIdentifierError(
        f"{identifier.type.value} {identifier.value} is already registered for "
        f"{holder['name']}; ask for access to that operator instead",
        field=f"identifiers[{index}].value",
        existing_operator_id=str(holder["id"]),
        existing_operator_name=holder["name"],
    )


async def _check_activity(
    connection: Connection,
    activity: NewActivity,
    *,
    country_code: str,
    field: str,
) -> str | None:
    """Checks codes, dates and the competent authority; returns the activity's chapter."""
    section = await connection.fetchrow(
        "SELECT code, chapter_code FROM sections WHERE code = $1", activity.section_code
    )
    if section is None:
        raise InvalidInputError(
            f"unknown section {activity.section_code!r}", field=f"{field}.section_code"
        )
    chapter = section["chapter_code"]
    if activity.chapter_code is not None and activity.chapter_code != (chapter or NO_CHAPTER):
        raise InvalidInputError(
            f"section {activity.section_code} is not in chapter {activity.chapter_code!r}",
            field=f"{field}.chapter_code",
        )
    if not await connection.fetchval(
        "SELECT 1 FROM activity_types WHERE code = $1 AND section_code = $2",
        activity.activity_type_code,
        activity.section_code,
    ):
        raise InvalidInputError(
            f"unknown activity {activity.activity_type_code!r} in section {activity.section_code}",
            field=f"{field}.activity_type_code",
        )
    _text(activity.identification_code, field=f"{field}.identification_code", max_length=100)
    if activity.valid_to is not None and activity.valid_to < activity.valid_from:
        raise InvalidInputError("must not be before valid_from", field=f"{field}.valid_to")
    authority = await get_authority(connection, activity.competent_authority_id)
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
    return str(chapter) if chapter is not None else None


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
    name = _text(name, field="name", max_length=200)
    main = _main_index(addresses)
    country_code = addresses[main].country_code
    _check_contacts(contacts)
    checked_identifiers = _check_identifiers(identifiers, country_code)
    if not isinstance(activity.address, int) or not 0 <= activity.address < len(addresses):
        raise InvalidInputError(
            "choose one of the operator's addresses", field="activity.address_index"
        )
    operator_id = uuid.uuid4()
    async with pool.acquire() as connection, connection.transaction():
        principal = await load_principal(connection, actor)
        principal.require_active()
        for index, address in enumerate(addresses):
            await _check_country(
                connection, address.country_code, field=f"addresses[{index}].country_code"
            )
        await _check_activity(connection, activity, country_code=country_code, field="activity")
        for index, identifier in enumerate(checked_identifiers):
            holder = await _existing_holder(connection, identifier)
            if holder is not None:
                raise _duplicate(index, identifier, holder)
        main_address = addresses[main]
        search_source = " ".join(
            (name, main_address.street, main_address.postal_code, main_address.city)
        )
        await connection.execute(
            """INSERT INTO organizations (id, kind, name, country_code, status,
                                          competent_authority_id, search_text, created_by)
               VALUES ($1, 'operator', $2, $3, 'pending', $4, registry_fold($5), $6)""",
            operator_id,
            name,
            country_code,
            activity.competent_authority_id,
            search_source,
            actor.user_id,
        )
        address_ids = []
        for index, address in enumerate(addresses):
            address_id = uuid.uuid4()
            address_ids.append(address_id)
            await connection.execute(
                """INSERT INTO addresses (id, organization_id, position, is_main, street,
                                          postal_code, city, country_code)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
                address_id,
                operator_id,
                index,
                index == main,
                _text(address.street, field=f"addresses[{index}].street", max_length=200),
                _text(address.postal_code, field=f"addresses[{index}].postal_code", max_length=20),
                _text(address.city, field=f"addresses[{index}].city", max_length=100),
                address.country_code,
            )
        await connection.executemany(
            """INSERT INTO contacts (id, organization_id, position, kind, value)
               VALUES ($1, $2, $3, $4, $5)""",
            [
                (uuid.uuid4(), operator_id, index, contact.kind.value, contact.value.strip())
                for index, contact in enumerate(contacts)
            ],
        )
        try:
            await connection.executemany(
                """INSERT INTO identifiers (id, organization_id, type, country_code, value)
                   VALUES ($1, $2, $3, $4, $5)""",
                [
                    (uuid.uuid4(), operator_id, item.type.value, item.country_code, item.value)
                    for item in checked_identifiers
                ],
            )
        except asyncpg.UniqueViolationError as error:
            # A parallel creation registered the same number between our check and insert.
            raise DuplicateIdentifierError(
                "an identifier was registered for another operator a moment ago; search again",
                field="identifiers",
            ) from error
        activity_id = await _insert_activity(
            connection,
            operator_id=operator_id,
            activity=activity,
            address_id=address_ids[activity.address],
            created_by=actor.user_id,
        )
        await _record_operator_change(
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
        operator = await _load_operator(connection, operator_id)
    assert operator is not None  # noqa: S101  (inserted above, same transaction)
    return CreatedOperator(operator=operator, role_request_id=role_request_id)


async def _record_operator_change(
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


async def _insert_activity(
    connection: Connection,
    *,
    operator_id: uuid.UUID,
    activity: NewActivity,
    address_id: uuid.UUID,
    created_by: uuid.UUID,
) -> uuid.UUID:
    activity_id = uuid.uuid4()
    await connection.execute(
        """INSERT INTO activities (id, organization_id, section_code, activity_type_code,
                                   identification_code, valid_from, valid_to, publication_date,
                                   application_date, address_id, authority_id, status, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'pending', $12)""",
        activity_id,
        operator_id,
        activity.section_code,
        activity.activity_type_code,
        " ".join(activity.identification_code.split()),
        activity.valid_from,
        activity.valid_to,
        activity.publication_date,
        activity.application_date,
        address_id,
        activity.competent_authority_id,
        created_by,
    )
    return activity_id


async def _load_operator(connection: Connection, operator_id: uuid.UUID) -> Operator | None:
    row = await connection.fetchrow(
        """SELECT id, name, country_code, status, competent_authority_id, created_at
             FROM organizations WHERE id = $1 AND kind = 'operator'""",
        operator_id,
    )
    if row is None:
        return None
    addresses = await connection.fetch(
        """SELECT id, street, postal_code, city, country_code, is_main FROM addresses
            WHERE organization_id = $1 ORDER BY position""",
        operator_id,
    )
    contacts = await connection.fetch(
        "SELECT id, kind, value FROM contacts WHERE organization_id = $1 ORDER BY position",
        operator_id,
    )
    identifiers = await connection.fetch(
        """SELECT id, type, country_code, value FROM identifiers
            WHERE organization_id = $1 ORDER BY type, value""",
        operator_id,
    )
    activities = await connection.fetch(
        """SELECT a.*, s.chapter_code, t.name_en AS activity_type_name
             FROM activities a
             JOIN sections s ON s.code = a.section_code
             JOIN activity_types t ON t.code = a.activity_type_code
            WHERE a.organization_id = $1 ORDER BY a.created_at, a.id""",
        operator_id,
    )
    return Operator(
        id=row["id"],
        name=row["name"],
        country_code=row["country_code"],
        status=OrganizationStatus(row["status"]),
        competent_authority_id=row["competent_authority_id"],
        created_at=row["created_at"],
        addresses=tuple(Address(**dict(address)) for address in addresses),
        contacts=tuple(
            Contact(id=c["id"], kind=ContactKind(c["kind"]), value=c["value"]) for c in contacts
        ),
        identifiers=tuple(
            Identifier(
                id=i["id"],
                type=IdentifierType(i["type"]),
                country_code=i["country_code"],
                value=i["value"],
            )
            for i in identifiers
        ),
        activities=tuple(_activity(a) for a in activities),
    )


def _activity(row: Any) -> Activity:
    return Activity(
        id=row["id"],
        chapter_code=row["chapter_code"],
        section_code=row["section_code"],
        activity_type_code=row["activity_type_code"],
        activity_type_name=row["activity_type_name"],
        identification_code=row["identification_code"],
        valid_from=row["valid_from"],
        valid_to=row["valid_to"],
        publication_date=row["publication_date"],
        application_date=row["application_date"],
        address_id=row["address_id"],
        authority_id=row["authority_id"],
        status=OrganizationStatus(row["status"]),
    )


async def get_operator(pool: asyncpg.Pool, *, actor: Actor, operator_id: uuid.UUID) -> Operator:
    """The whole operator (contacts, identifiers, activities) for its valid users and the
    authorities in scope; everyone else sees only what search shows."""
    async with pool.acquire() as connection, connection.transaction():
        principal = await load_principal(connection, actor)
        principal.require_active()
        operator = await _load_operator(connection, operator_id)
        if operator is None:
            raise NotFoundError(f"no operator {operator_id}")
        if operator_id not in principal.member_of and not await is_in_authority_scope(
            connection, principal, operator_id
        ):
            raise PermissionDeniedError("only the operator's users and its authorities")
    return operator


async def _lock_operator(connection: Connection, operator_id: uuid.UUID) -> asyncpg.Record:
    row = await connection.fetchrow(
        """SELECT id, name, status, competent_authority_id FROM organizations
            WHERE id = $1 AND kind = 'operator' FOR UPDATE""",
        operator_id,
    )
    if row is None:
        raise NotFoundError(f"no operator {operator_id}")
    return row


async def validate_operator(
    pool: asyncpg.Pool, *, actor: Actor, operator_id: uuid.UUID, reason: str | None = None
) -> Operator:
    """The competent authority validates a pending operator, and with it the pending activities
    it is responsible for (the first activity, created with the operator)."""
    async with pool.acquire() as connection, connection.transaction():
        principal = await load_principal(connection, actor)
        principal.require_active()
        row = await _lock_operator(connection, operator_id)
        if row["competent_authority_id"] not in principal.authority_ids:
            raise PermissionDeniedError("only the operator's competent authority validates it")
        if row["status"] != OrganizationStatus.PENDING:
            raise AlreadyDecidedError(f"the operator is already {row['status']}")
        await connection.execute(
            """UPDATE organizations SET status = 'valid', decided_by = $2, decided_at = now(),
                                        decision_reason = $3
                WHERE id = $1""",
            operator_id,
            actor.user_id,
            reason,
        )
        activity_ids = await connection.fetch(
            """UPDATE activities SET status = 'valid', decided_by = $3, decided_at = now()
                WHERE organization_id = $1 AND status = 'pending'
                  AND authority_id = ANY($2::uuid[])
            RETURNING id""",
            operator_id,
            list(principal.authority_ids),
            actor.user_id,
        )
        await _record_operator_change(
            connection,
            principal=principal,
            operator_id=operator_id,
            authority_id=row["competent_authority_id"],
            event_type="registry.operator.validated",
            message=events.OperatorValidated(
                operator_id=str(operator_id), decided_by_user_id=str(actor.user_id)
            ),
            action="operator.validated",
            reason=reason,
            details={"activities_validated": [str(a["id"]) for a in activity_ids]},
        )
        operator = await _load_operator(connection, operator_id)
    assert operator is not None  # noqa: S101
    return operator


async def reject_operator(
    pool: asyncpg.Pool, *, actor: Actor, operator_id: uuid.UUID, reason: str
) -> Operator:
    """The competent authority rejects a pending operator: its identifiers are released (they
    may be registered again, correctly) and its pending role requests are rejected with it."""
    reason = _text(reason, field="reason", max_length=1000)
    async with pool.acquire() as connection, connection.transaction():
        principal = await load_principal(connection, actor)
        principal.require_active()
        row = await _lock_operator(connection, operator_id)
        if row["competent_authority_id"] not in principal.authority_ids:
            raise PermissionDeniedError("only the operator's competent authority rejects it")
        if row["status"] != OrganizationStatus.PENDING:
            raise AlreadyDecidedError(f"the operator is already {row['status']}")
        await connection.execute(
            """UPDATE organizations SET status = 'rejected', decided_by = $2, decided_at = now(),
                                        decision_reason = $3
                WHERE id = $1""",
            operator_id,
            actor.user_id,
            reason,
        )
        await connection.execute(
            """UPDATE activities SET status = 'rejected', decided_by = $2, decided_at = now(),
                                     decision_reason = $3
                WHERE organization_id = $1 AND status = 'pending'""",
            operator_id,
            actor.user_id,
            reason,
        )
        await connection.execute(
            "UPDATE identifiers SET active = false WHERE organization_id = $1", operator_id
        )
        await _record_operator_change(
            connection,
            principal=principal,
            operator_id=operator_id,
            authority_id=row["competent_authority_id"],
            event_type="registry.operator.rejected",
            message=events.OperatorRejected(
                operator_id=str(operator_id), decided_by_user_id=str(actor.user_id), reason=reason
            ),
            action="operator.rejected",
            reason=reason,
        )
        await reject_pending_requests_of(
            connection,
            principal=principal,
            organization_id=operator_id,
            reason=f"the operator was rejected: {reason}",
            scope=[row["competent_authority_id"]],
        )
        operator = await _load_operator(connection, operator_id)
    assert operator is not None  # noqa: S101
    return operator


async def add_activity(
    pool: asyncpg.Pool, *, actor: Actor, operator_id: uuid.UUID, activity: NewActivity
) -> Activity:
    """An administrator of a valid operator adds an activity (e.g. organic besides plants); the
    authority chosen for it by country and chapter validates it."""
    async with pool.acquire() as connection, connection.transaction():
        principal = await load_principal(connection, actor)
        principal.require_active()
        row = await connection.fetchrow(
            """SELECT status, country_code FROM organizations
                WHERE id = $1 AND kind = 'operator' FOR UPDATE""",
            operator_id,
        )
        if row is None:
            raise NotFoundError(f"no operator {operator_id}")
        if operator_id not in principal.admin_of:
            raise PermissionDeniedError("only the operator's administrators add activities")
        if row["status"] != OrganizationStatus.VALID:
            raise OrganizationNotValidError("the operator is not valid")
        if not isinstance(activity.address, uuid.UUID) or not await connection.fetchval(
            "SELECT 1 FROM addresses WHERE id = $1 AND organization_id = $2",
            activity.address,
            operator_id,
        ):
            raise InvalidInputError("choose one of the operator's addresses", field="address_id")
        await _check_activity(connection, activity, country_code=row["country_code"], field="")
        activity_id = await _insert_activity(
            connection,
            operator_id=operator_id,
            activity=activity,
            address_id=activity.address,
            created_by=actor.user_id,
        )
        await _record_operator_change(
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
        return await _load_activity(connection, activity_id)


async def _load_activity(connection: Connection, activity_id: uuid.UUID) -> Activity:
    row = await connection.fetchrow(
        """SELECT a.*, s.chapter_code, t.name_en AS activity_type_name
             FROM activities a
             JOIN sections s ON s.code = a.section_code
             JOIN activity_types t ON t.code = a.activity_type_code
            WHERE a.id = $1""",
        activity_id,
    )
    if row is None:
        raise NotFoundError(f"no activity {activity_id}")
    return _activity(row)


async def decide_activity(
    pool: asyncpg.Pool,
    *,
    actor: Actor,
    activity_id: uuid.UUID,
    approve: bool,
    reason: str | None = None,
) -> Activity:
    """The activity's authority validates or rejects a pending activity of a valid operator (a
    pending operator's first activity is decided with the operator)."""
    if not approve:
        reason = _text(reason or "", field="reason", max_length=1000)
    async with pool.acquire() as connection, connection.transaction():
        principal = await load_principal(connection, actor)
        principal.require_active()
        row = await connection.fetchrow(
            """SELECT a.status, a.authority_id, a.organization_id, o.status AS operator_status
                 FROM activities a JOIN organizations o ON o.id = a.organization_id
                WHERE a.id = $1 FOR UPDATE OF a""",
            activity_id,
        )
        if row is None:
            raise NotFoundError(f"no activity {activity_id}")
        if row["authority_id"] not in principal.authority_ids:
            raise PermissionDeniedError("only the activity's competent authority decides it")
        if row["status"] != OrganizationStatus.PENDING:
            raise AlreadyDecidedError(f"the activity is already {row['status']}")
        if row["operator_status"] != OrganizationStatus.VALID:
            raise OrganizationNotValidError("decide the operator first")
        status = OrganizationStatus.VALID if approve else OrganizationStatus.REJECTED
        await connection.execute(
            """UPDATE activities SET status = $2, decided_by = $3, decided_at = now(),
                                     decision_reason = $4
                WHERE id = $1""",
            activity_id,
            status.value,
            actor.user_id,
            reason,
        )
        operator_id = row["organization_id"]
        message: Message
        if approve:
            message = events.ActivityValidated(
                activity_id=str(activity_id),
                operator_id=str(operator_id),
                decided_by_user_id=str(actor.user_id),
            )
        else:
            message = events.ActivityRejected(
                activity_id=str(activity_id),
                operator_id=str(operator_id),
                decided_by_user_id=str(actor.user_id),
                reason=reason or "",
            )
        await _record_operator_change(
            connection,
            principal=principal,
            operator_id=operator_id,
            authority_id=row["authority_id"],
            event_type="registry.activity.validated" if approve else "registry.activity.rejected",
            message=message,
            action="activity.validated" if approve else "activity.rejected",
            subject_type="activity",
            subject_id=activity_id,
            reason=reason,
        )
        return await _load_activity(connection, activity_id)
