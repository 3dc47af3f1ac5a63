"""The SQL of operators and their activities: writing a new operator with its addresses, contacts,
identifiers and first activity, reading one back, and recording the authority's decisions. No
rule is checked here; operators.service and operators.decisions decide what may happen."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg

from gatehouse_common.db import Connection
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
    OrganizationStatus,
)
from gatehouse_registry.search.words import SearchEntry

ACTIVITY_QUERY = """
SELECT a.*, s.chapter_code, t.name_en AS activity_type_name
  FROM activities a
  JOIN sections s ON s.code = a.section_code
  JOIN activity_types t ON t.code = a.activity_type_code
"""


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


async def identifier_holder(
    connection: Connection, identifier: CheckedIdentifier
) -> IdentifierHolder | None:
    row = await connection.fetchrow(
        """SELECT o.id, o.name FROM identifiers i JOIN organizations o ON o.id = i.organization_id
            WHERE i.type = $1 AND i.country_code = $2 AND i.value = $3 AND i.active""",
        identifier.type.value,
        identifier.country_code,
        identifier.value,
    )
    return IdentifierHolder(operator_id=row["id"], name=row["name"]) if row else None


async def insert_operator(
    connection: Connection,
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
        """INSERT INTO organizations (id, kind, name, country_code, status,
                                      competent_authority_id, search_words, search_name,
                                      search_name_sorted, created_by)
           VALUES ($1, 'operator', $2, $3, 'pending', $4, $5, $6, $7, $8)""",
        operator_id,
        name,
        country_code,
        competent_authority_id,
        list(search.words),
        search.name_key,
        search.word_set_key,
        created_by,
    )


async def insert_addresses(
    connection: Connection, operator_id: uuid.UUID, addresses: Sequence[NewAddress], *, main: int
) -> list[uuid.UUID]:
    """The addresses in their order (`main` is the main address); returns their ids."""
    rows = [
        (
            uuid.uuid4(),
            operator_id,
            index,
            index == main,
            address.street,
            address.postal_code,
            address.city,
            address.country_code,
        )
        for index, address in enumerate(addresses)
    ]
    await connection.executemany(
        """INSERT INTO addresses (id, organization_id, position, is_main, street, postal_code,
                                  city, country_code)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        rows,
    )
    return [row[0] for row in rows]


async def insert_contacts(
    connection: Connection, operator_id: uuid.UUID, contacts: Sequence[NewContact]
) -> None:
    await connection.executemany(
        """INSERT INTO contacts (id, organization_id, position, kind, value)
           VALUES ($1, $2, $3, $4, $5)""",
        [
            (uuid.uuid4(), operator_id, index, contact.kind.value, contact.value)
            for index, contact in enumerate(contacts)
        ],
    )


async def insert_identifiers(
    connection: Connection, operator_id: uuid.UUID, identifiers: Sequence[CheckedIdentifier]
) -> bool:
    """False when one of them became active for another operator meanwhile (the unique index
    on active identifiers refused it); the caller's transaction must then be abandoned."""
    try:
        await connection.executemany(
            """INSERT INTO identifiers (id, organization_id, type, country_code, value)
               VALUES ($1, $2, $3, $4, $5)""",
            [
                (uuid.uuid4(), operator_id, item.type.value, item.country_code, item.value)
                for item in identifiers
            ],
        )
    except asyncpg.UniqueViolationError:
        return False
    return True


async def insert_activity(
    connection: Connection,
    *,
    operator_id: uuid.UUID,
    activity: CheckedActivity,
    address_id: uuid.UUID,
    created_by: uuid.UUID,
) -> uuid.UUID:
    """A pending activity; returns its id."""
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
        activity.identification_code,
        activity.valid_from,
        activity.valid_to,
        activity.publication_date,
        activity.application_date,
        address_id,
        activity.competent_authority_id,
        created_by,
    )
    return activity_id


async def load_operator(connection: Connection, operator_id: uuid.UUID) -> Operator | None:
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
        f"{ACTIVITY_QUERY} WHERE a.organization_id = $1 ORDER BY a.created_at, a.id", operator_id
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


async def load_activity(connection: Connection, activity_id: uuid.UUID) -> Activity | None:
    row = await connection.fetchrow(f"{ACTIVITY_QUERY} WHERE a.id = $1", activity_id)
    return _activity(row) if row else None


async def lock_operator(connection: Connection, operator_id: uuid.UUID) -> OperatorState | None:
    """FOR UPDATE: decisions on one operator are serialised."""
    row = await connection.fetchrow(
        """SELECT id, name, status, country_code, competent_authority_id FROM organizations
            WHERE id = $1 AND kind = 'operator' FOR UPDATE""",
        operator_id,
    )
    if row is None:
        return None
    return OperatorState(
        id=row["id"],
        name=row["name"],
        status=OrganizationStatus(row["status"]),
        country_code=row["country_code"],
        competent_authority_id=row["competent_authority_id"],
    )


async def set_operator_status(
    connection: Connection,
    operator_id: uuid.UUID,
    status: OrganizationStatus,
    *,
    decided_by: uuid.UUID,
    reason: str | None,
) -> None:
    await connection.execute(
        """UPDATE organizations SET status = $2, decided_by = $3, decided_at = now(),
                                    decision_reason = $4
            WHERE id = $1""",
        operator_id,
        status.value,
        decided_by,
        reason,
    )


async def validate_pending_activities(
    connection: Connection,
    operator_id: uuid.UUID,
    *,
    authority_ids: Sequence[uuid.UUID],
    decided_by: uuid.UUID,
) -> list[uuid.UUID]:
    """The operator's pending activities of those authorities become valid; returns their ids."""
    rows = await connection.fetch(
        """UPDATE activities SET status = 'valid', decided_by = $3, decided_at = now()
            WHERE organization_id = $1 AND status = 'pending'
              AND authority_id = ANY($2::uuid[])
        RETURNING id""",
        operator_id,
        list(authority_ids),
        decided_by,
    )
    return [row["id"] for row in rows]


async def reject_pending_activities(
    connection: Connection, operator_id: uuid.UUID, *, decided_by: uuid.UUID, reason: str
) -> None:
    await connection.execute(
        """UPDATE activities SET status = 'rejected', decided_by = $2, decided_at = now(),
                                 decision_reason = $3
            WHERE organization_id = $1 AND status = 'pending'""",
        operator_id,
        decided_by,
        reason,
    )


async def release_identifiers(connection: Connection, operator_id: uuid.UUID) -> None:
    """A rejected operator's identifiers may be registered again (correctly)."""
    await connection.execute(
        "UPDATE identifiers SET active = false WHERE organization_id = $1", operator_id
    )


async def address_of_operator(
    connection: Connection, address_id: uuid.UUID, operator_id: uuid.UUID
) -> bool:
    return bool(
        await connection.fetchval(
            "SELECT 1 FROM addresses WHERE id = $1 AND organization_id = $2",
            address_id,
            operator_id,
        )
    )


async def lock_activity(connection: Connection, activity_id: uuid.UUID) -> ActivityState | None:
    """FOR UPDATE of the activity only: its operator's other activities stay free."""
    row = await connection.fetchrow(
        """SELECT a.id, a.status, a.authority_id, a.organization_id,
                  o.status AS operator_status
             FROM activities a JOIN organizations o ON o.id = a.organization_id
            WHERE a.id = $1 FOR UPDATE OF a""",
        activity_id,
    )
    if row is None:
        return None
    return ActivityState(
        id=row["id"],
        status=OrganizationStatus(row["status"]),
        authority_id=row["authority_id"],
        operator_id=row["organization_id"],
        operator_status=OrganizationStatus(row["operator_status"]),
    )


async def set_activity_status(
    connection: Connection,
    activity_id: uuid.UUID,
    status: OrganizationStatus,
    *,
    decided_by: uuid.UUID,
    reason: str | None,
) -> None:
    await connection.execute(
        """UPDATE activities SET status = $2, decided_by = $3, decided_at = now(),
                                 decision_reason = $4
            WHERE id = $1""",
        activity_id,
        status.value,
        decided_by,
        reason,
    )
