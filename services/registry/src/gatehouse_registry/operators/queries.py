"""The SQL of operators and their activities: writing a new operator with its addresses, contacts,
identifiers and first activity, reading one back, and recording the authority's decisions. No
rule is checked here; operators.service and operators.decisions decide what may happen.

Slightly over our ~500 lines: an operator is written and read as one aggregate (addresses,
contacts, identifiers, activities) and splitting its statements would split that aggregate."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_registry.operators.identifiers import Identifier as CheckedIdentifier
from gatehouse_registry.operators.identifiers import IdentifierType
from gatehouse_registry.operators.models import (
    Activity,
    ActivityState,
    Address,
    CheckedActivity,
    Contact,
    ContactKind,
    Identifier,
    IdentifierHolder,
    NewAddress,
    NewContact,
    Operator,
    OperatorState,
    OperatorSummary,
    OrganizationStatus,
    WaitingActivity,
)
from gatehouse_registry.search.words import SearchEntry
from gatehouse_registry.sql import any_of
from gatehouse_registry.tables import (
    activities,
    activity_types,
    addresses,
    contacts,
    identifiers,
    organizations,
    sections,
)

OPERATOR = "operator"


def _activity_query() -> Select[Any]:
    return select(
        activities,
        sections.c.chapter_code,
        activity_types.c.name_en.label("activity_type_name"),
    ).select_from(
        activities.join(sections, sections.c.code == activities.c.section_code).join(
            activity_types, activity_types.c.code == activities.c.activity_type_code
        )
    )


def _activity(row: Any) -> Activity:
    return Activity(
        id=row.id,
        chapter_code=row.chapter_code,
        section_code=row.section_code,
        activity_type_code=row.activity_type_code,
        activity_type_name=row.activity_type_name,
        identification_code=row.identification_code,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        publication_date=row.publication_date,
        application_date=row.application_date,
        address_id=row.address_id,
        authority_id=row.authority_id,
        status=OrganizationStatus(row.status),
    )


async def identifier_holder(
    connection: AsyncConnection, identifier: CheckedIdentifier
) -> IdentifierHolder | None:
    row = (
        await connection.execute(
            select(organizations.c.id, organizations.c.name)
            .join(identifiers, identifiers.c.organization_id == organizations.c.id)
            .where(
                identifiers.c.type == identifier.type.value,
                identifiers.c.country_code == identifier.country_code,
                identifiers.c.value == identifier.value,
                identifiers.c.active,
            )
        )
    ).first()
    return IdentifierHolder(operator_id=row.id, name=row.name) if row else None


async def insert_operator(
    connection: AsyncConnection,
    *,
    operator_id: uuid.UUID,
    name: str,
    country_code: str,
    competent_authority_id: uuid.UUID,
    search: SearchEntry,
    created_by: uuid.UUID,
) -> None:
    """A pending operator, with the words operator search finds it by."""
    await connection.execute(
        organizations.insert().values(
            id=operator_id,
            kind=OPERATOR,
            name=name,
            country_code=country_code,
            status=OrganizationStatus.PENDING.value,
            competent_authority_id=competent_authority_id,
            search_words=list(search.words),
            search_name=search.name_key,
            search_name_sorted=search.word_set_key,
            created_by=created_by,
        )
    )


async def insert_addresses(
    connection: AsyncConnection,
    operator_id: uuid.UUID,
    new_addresses: Sequence[NewAddress],
    *,
    main: int,
) -> list[uuid.UUID]:
    """The addresses in their order (`main` is the main address); returns their ids."""
    rows = [
        {
            "id": uuid.uuid4(),
            "organization_id": operator_id,
            "position": index,
            "is_main": index == main,
            "street": address.street,
            "postal_code": address.postal_code,
            "city": address.city,
            "country_code": address.country_code,
        }
        for index, address in enumerate(new_addresses)
    ]
    await connection.execute(addresses.insert(), rows)
    return [uuid.UUID(str(row["id"])) for row in rows]


async def insert_contacts(
    connection: AsyncConnection, operator_id: uuid.UUID, new_contacts: Sequence[NewContact]
) -> None:
    await connection.execute(
        contacts.insert(),
        [
            {
                "id": uuid.uuid4(),
                "organization_id": operator_id,
                "position": index,
                "kind": contact.kind.value,
                "value": contact.value,
            }
            for index, contact in enumerate(new_contacts)
        ],
    )


async def insert_identifiers(
    connection: AsyncConnection,
    operator_id: uuid.UUID,
    checked: Sequence[CheckedIdentifier],
) -> bool:
    """False when one of them became active for another operator meanwhile (the unique index
    on active identifiers refused it); the caller's transaction must then be abandoned."""
    try:
        await connection.execute(
            identifiers.insert(),
            [
                {
                    "id": uuid.uuid4(),
                    "organization_id": operator_id,
                    "type": item.type.value,
                    "country_code": item.country_code,
                    "value": item.value,
                }
                for item in checked
            ],
        )
    except IntegrityError:
        return False
    return True


async def insert_activity(
    connection: AsyncConnection,
    *,
    operator_id: uuid.UUID,
    activity: CheckedActivity,
    address_id: uuid.UUID,
    created_by: uuid.UUID,
) -> uuid.UUID:
    """A pending activity; returns its id."""
    activity_id = uuid.uuid4()
    await connection.execute(
        activities.insert().values(
            id=activity_id,
            organization_id=operator_id,
            section_code=activity.section_code,
            activity_type_code=activity.activity_type_code,
            identification_code=activity.identification_code,
            valid_from=activity.valid_from,
            valid_to=activity.valid_to,
            publication_date=activity.publication_date,
            application_date=activity.application_date,
            address_id=address_id,
            authority_id=activity.competent_authority_id,
            status=OrganizationStatus.PENDING.value,
            created_by=created_by,
        )
    )
    return activity_id


async def load_operator(connection: AsyncConnection, operator_id: uuid.UUID) -> Operator | None:
    row = (
        await connection.execute(
            select(
                organizations.c.id,
                organizations.c.name,
                organizations.c.country_code,
                organizations.c.status,
                organizations.c.competent_authority_id,
                organizations.c.created_at,
            ).where(organizations.c.id == operator_id, organizations.c.kind == OPERATOR)
        )
    ).first()
    if row is None:
        return None
    of_operator = (
        addresses.c.organization_id == operator_id,
        contacts.c.organization_id == operator_id,
        identifiers.c.organization_id == operator_id,
    )
    found_addresses = await connection.execute(
        select(
            addresses.c.id,
            addresses.c.street,
            addresses.c.postal_code,
            addresses.c.city,
            addresses.c.country_code,
            addresses.c.is_main,
        )
        .where(of_operator[0])
        .order_by(addresses.c.position)
    )
    found_contacts = await connection.execute(
        select(contacts.c.id, contacts.c.kind, contacts.c.value)
        .where(of_operator[1])
        .order_by(contacts.c.position)
    )
    found_identifiers = await connection.execute(
        select(
            identifiers.c.id, identifiers.c.type, identifiers.c.country_code, identifiers.c.value
        )
        .where(of_operator[2])
        .order_by(identifiers.c.type, identifiers.c.value)
    )
    found_activities = await connection.execute(
        _activity_query()
        .where(activities.c.organization_id == operator_id)
        .order_by(activities.c.created_at, activities.c.id)
    )
    return Operator(
        id=row.id,
        name=row.name,
        country_code=row.country_code,
        status=OrganizationStatus(row.status),
        competent_authority_id=row.competent_authority_id,
        created_at=row.created_at,
        addresses=tuple(Address(**address._asdict()) for address in found_addresses),
        contacts=tuple(
            Contact(id=c.id, kind=ContactKind(c.kind), value=c.value) for c in found_contacts
        ),
        identifiers=tuple(
            Identifier(
                id=i.id, type=IdentifierType(i.type), country_code=i.country_code, value=i.value
            )
            for i in found_identifiers
        ),
        activities=tuple(_activity(a) for a in found_activities),
    )


async def load_activity(connection: AsyncConnection, activity_id: uuid.UUID) -> Activity | None:
    row = (
        await connection.execute(_activity_query().where(activities.c.id == activity_id))
    ).first()
    return _activity(row) if row else None


async def lock_operator(
    connection: AsyncConnection, operator_id: uuid.UUID
) -> OperatorState | None:
    """FOR UPDATE: decisions on one operator are serialised."""
    row = (
        await connection.execute(
            select(
                organizations.c.id,
                organizations.c.name,
                organizations.c.status,
                organizations.c.country_code,
                organizations.c.competent_authority_id,
            )
            .where(organizations.c.id == operator_id, organizations.c.kind == OPERATOR)
            .with_for_update()
        )
    ).first()
    if row is None:
        return None
    return OperatorState(
        id=row.id,
        name=row.name,
        status=OrganizationStatus(row.status),
        country_code=row.country_code,
        competent_authority_id=row.competent_authority_id,
    )


async def set_operator_status(
    connection: AsyncConnection,
    operator_id: uuid.UUID,
    status: OrganizationStatus,
    *,
    decided_by: uuid.UUID,
    reason: str | None,
) -> None:
    await connection.execute(
        organizations.update()
        .where(organizations.c.id == operator_id)
        .values(
            status=status.value,
            decided_by=decided_by,
            decided_at=func.now(),
            decision_reason=reason,
        )
    )


async def validate_pending_activities(
    connection: AsyncConnection,
    operator_id: uuid.UUID,
    *,
    authority_ids: Sequence[uuid.UUID],
    decided_by: uuid.UUID,
) -> list[uuid.UUID]:
    """The operator's pending activities of those authorities become valid; returns their ids."""
    rows = await connection.execute(
        activities.update()
        .where(
            activities.c.organization_id == operator_id,
            activities.c.status == OrganizationStatus.PENDING.value,
            any_of(activities.c.authority_id, authority_ids),
        )
        .values(status=OrganizationStatus.VALID.value, decided_by=decided_by, decided_at=func.now())
        .returning(activities.c.id)
    )
    return [row.id for row in rows]


async def reject_pending_activities(
    connection: AsyncConnection, operator_id: uuid.UUID, *, decided_by: uuid.UUID, reason: str
) -> None:
    await connection.execute(
        activities.update()
        .where(
            activities.c.organization_id == operator_id,
            activities.c.status == OrganizationStatus.PENDING.value,
        )
        .values(
            status=OrganizationStatus.REJECTED.value,
            decided_by=decided_by,
            decided_at=func.now(),
            decision_reason=reason,
        )
    )


async def release_identifiers(connection: AsyncConnection, operator_id: uuid.UUID) -> None:
    """A rejected operator's identifiers may be registered again (correctly)."""
    await connection.execute(
        identifiers.update()
        .where(identifiers.c.organization_id == operator_id)
        .values(active=False)
    )


async def address_of_operator(
    connection: AsyncConnection, address_id: uuid.UUID, operator_id: uuid.UUID
) -> bool:
    found = await connection.scalar(
        select(addresses.c.id).where(
            addresses.c.id == address_id, addresses.c.organization_id == operator_id
        )
    )
    return found is not None


async def lock_activity(
    connection: AsyncConnection, activity_id: uuid.UUID
) -> ActivityState | None:
    """FOR UPDATE of the activity only: its operator's other activities stay free."""
    row = (
        await connection.execute(
            select(
                activities.c.id,
                activities.c.status,
                activities.c.authority_id,
                activities.c.organization_id,
                organizations.c.status.label("operator_status"),
            )
            .join(organizations, organizations.c.id == activities.c.organization_id)
            .where(activities.c.id == activity_id)
            .with_for_update(of=activities)
        )
    ).first()
    if row is None:
        return None
    return ActivityState(
        id=row.id,
        status=OrganizationStatus(row.status),
        authority_id=row.authority_id,
        operator_id=row.organization_id,
        operator_status=OrganizationStatus(row.operator_status),
    )


async def set_activity_status(
    connection: AsyncConnection,
    activity_id: uuid.UUID,
    status: OrganizationStatus,
    *,
    decided_by: uuid.UUID,
    reason: str | None,
) -> None:
    await connection.execute(
        activities.update()
        .where(activities.c.id == activity_id)
        .values(
            status=status.value,
            decided_by=decided_by,
            decided_at=func.now(),
            decision_reason=reason,
        )
    )


async def operator_summary(
    connection: AsyncConnection, operator_id: uuid.UUID
) -> OperatorSummary | None:
    """An operator with the name of its competent authority."""
    authority = organizations.alias("competent_authority")
    row = (
        await connection.execute(
            select(
                organizations.c.id,
                organizations.c.name,
                organizations.c.country_code,
                organizations.c.status,
                organizations.c.competent_authority_id,
                authority.c.name.label("competent_authority_name"),
            )
            .outerjoin(authority, authority.c.id == organizations.c.competent_authority_id)
            .where(organizations.c.id == operator_id, organizations.c.kind == OPERATOR)
        )
    ).first()
    if row is None:
        return None
    return OperatorSummary(**{**row._asdict(), "status": OrganizationStatus(row.status)})


async def waiting_activities(
    connection: AsyncConnection, authority_ids: Iterable[uuid.UUID]
) -> list[WaitingActivity]:
    """Pending activities of valid operators assigned to one of the authorities, oldest first."""
    rows = await connection.execute(
        select(
            activities.c.id,
            activities.c.organization_id,
            organizations.c.name,
            activities.c.section_code,
            activities.c.activity_type_code,
            activities.c.created_at,
        )
        .join(organizations, organizations.c.id == activities.c.organization_id)
        .where(
            activities.c.status == OrganizationStatus.PENDING.value,
            organizations.c.status == OrganizationStatus.VALID.value,
            any_of(activities.c.authority_id, authority_ids),
        )
        .order_by(activities.c.created_at, activities.c.id)
    )
    return [
        WaitingActivity(
            activity_id=row.id,
            operator_id=row.organization_id,
            operator_name=row.name,
            section_code=row.section_code,
            activity_type_code=row.activity_type_code,
            created_at=row.created_at,
        )
        for row in rows
    ]
