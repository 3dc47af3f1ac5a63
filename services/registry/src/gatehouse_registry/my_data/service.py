"""*My data* (issue 18, point 3; GDPR art. 15 and 20): everything the registry holds about the
signed-in user, as one JSON document and as a page a person can read.

Every user column of every table (`users.id`, a `user_id` or `…_user_id`, `created_by`,
`requested_by`, `decided_by`, `rotated_by`, `revoked_by`, or a foreign key to `users`) is either
exported (COVERED: the section its rows go to) or excluded with the reason (EXCLUDED);
tests/my_data/test_coverage.py fails when a column is neither, so a new table about users is a
decision, not an oversight.

Other people appear only as the registry already shows them to the user: a decider is named by
their organisation (and its kind), never by name or e-mail; the user's own decisions about
others name the organisation, not the person. Secrets never leave: binary columns (hashes) and
SECRET_COLUMNS are left out, and the document says which were.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Column, LargeBinary, Table, or_
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_common.db import Database
from gatehouse_registry.access import Actor, load_principal
from gatehouse_registry.my_data import queries
from gatehouse_registry.my_data.models import Decider, MyData, Section
from gatehouse_registry.tables import (
    access_token_revocations,
    auth_sessions,
    machine_clients,
    metadata,
    users,
    web_service_requests,
)

FORMAT = "gatehouse-registry-my-data/1"

# Sections in the order the page shows them.
SECTIONS = (
    "user",
    "roles",
    "operators",
    "audit_log",
    "created_by_you",
    "decided_by_you",
    "web_service_requests",
    "machine_clients",
    "sessions",
    "token_revocations",
)

# Each user column, and the section its rows about the user are exported in.
COVERED: dict[str, str] = {
    "users.id": "user",
    "roles.user_id": "roles",
    "roles.decided_by": "decided_by_you",
    "roles.revoked_by": "decided_by_you",
    "organizations.created_by": "created_by_you",
    "organizations.decided_by": "decided_by_you",
    "activities.created_by": "created_by_you",
    "activities.decided_by": "decided_by_you",
    "audit_log.actor_user_id": "audit_log",
    "audit_log.target_user_id": "audit_log",
    "auth_sessions.user_id": "sessions",
    "access_token_revocations.user_id": "token_revocations",
    # Web-service access the user asked for or decided, and machine clients they made, re-keyed
    # or revoked (their own actions; the client's keys are public and stay with identity).
    "web_service_requests.requested_by": "web_service_requests",
    "web_service_requests.decided_by": "web_service_requests",
    "machine_clients.created_by": "machine_clients",
    "machine_clients.rotated_by": "machine_clients",
    "machine_clients.revoked_by": "machine_clients",
}

# User columns not exported, and why (none yet: add "table.column": "reason").
EXCLUDED: dict[str, str] = {}

# Text columns that are secrets or name one (binary columns are always left out).
SECRET_COLUMNS: dict[str, frozenset[str]] = {
    # A signed ID token (sent back to identity at sign-out) and identity's session id.
    "auth_sessions": frozenset({"id_token", "identity_sid"}),
}

USER_COLUMN_NAMES = frozenset(
    {"user_id", "created_by", "requested_by", "decided_by", "rotated_by", "revoked_by"}
)


def user_columns(table: Table) -> list[Column[Any]]:
    """The columns of `table` that name a user."""
    found = [table.c.id] if table.name == "users" else []
    return found + [
        column
        for column in table.c
        if column.name in USER_COLUMN_NAMES
        or column.name.endswith("_user_id")
        or any(key.column.table.name == "users" for key in column.foreign_keys)
    ]


def columns_about_users() -> list[str]:
    """Every user column of the registry's tables, as "table.column"."""
    return [
        f"{table.name}.{column.name}"
        for table in metadata.sorted_tables
        for column in user_columns(table)
    ]


def exported_columns(table: Table) -> tuple[list[Column[Any]], list[str]]:
    """The columns that may leave the registry, and the names of those left out."""
    secret = SECRET_COLUMNS.get(table.name, frozenset())
    kept: list[Column[Any]] = []
    left_out: list[str] = []
    for column in table.c:
        if isinstance(column.type, LargeBinary) or column.name in secret:
            left_out.append(column.name)
        else:
            kept.append(column)
    return kept, left_out


def plain(value: Any) -> Any:
    """A value JSON can carry: ids, dates and times as text."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, Decider):
        return value.as_json()
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


async def _deciders(
    connection: AsyncConnection, user_id: uuid.UUID, pairs: Iterable[tuple[Any, Any]]
) -> dict[tuple[Any, Any], Decider]:
    """How each (decider, organisation of the matter) is shown: you, the registry itself, or
    the decider's organisation — the matter's own if they belong to it, else an authority."""
    wanted = set(pairs)
    others = sorted({who for who, _ in wanted if who is not None and who != user_id}, key=str)
    belongs: dict[uuid.UUID, list[tuple[uuid.UUID, str, str]]] = {}
    for who, org_id, name, kind in await queries.organisations_of(connection, others):
        belongs.setdefault(who, []).append((org_id, name, kind))
    return {(who, org): _decider(who, org, user_id, belongs.get(who, [])) for who, org in wanted}


def _decider(
    who: uuid.UUID | None,
    organization_id: uuid.UUID | None,
    user_id: uuid.UUID,
    belongs: list[tuple[uuid.UUID, str, str]],
) -> Decider:
    if who is None:
        return Decider("registry")
    if who == user_id:
        return Decider("you")
    chosen = next((org for org in belongs if org[0] == organization_id), None)
    chosen = chosen or next((org for org in belongs if org[2] == "authority"), None)
    if chosen is None:
        return Decider("someone")
    return Decider("organisation", organization_name=chosen[1], organization_kind=chosen[2])


async def _own_rows(
    connection: AsyncConnection, name: str, table: Table, owner: str, user_id: uuid.UUID
) -> Section:
    """The section `name`: the rows of `table` whose `owner` column (or, for several names
    joined by commas, any of them) is the user."""
    columns, left_out = exported_columns(table)
    where = or_(*(table.c[column] == user_id for column in owner.split(",")))
    rows = await queries.rows_of(connection, table=table, columns=columns, where=where)
    return Section.of(name, rows, left_out=left_out)


async def _roles(connection: AsyncConnection, user_id: uuid.UUID) -> Section:
    rows = await queries.roles_of(connection, user_id)
    named = await _deciders(
        connection,
        user_id,
        [(row[by], row["organization_id"]) for row in rows for by in ("decided_by", "revoked_by")],
    )
    authorities: dict[uuid.UUID, list[str]] = {}
    for role_id, name in await queries.responsible_authorities(
        connection, [row["id"] for row in rows]
    ):
        authorities.setdefault(role_id, []).append(name)
    for row in rows:
        for by in ("decided_by", "revoked_by"):
            row[by] = named[(row[by], row["organization_id"])] if row[by] else None
        row["responsible_authorities"] = authorities.get(row["id"], [])
    return Section.of("roles", rows)


async def _operators(connection: AsyncConnection, user_id: uuid.UUID) -> Section:
    rows = await queries.operators_with_roles(connection, user_id)
    found: dict[uuid.UUID, list[str]] = {}
    for item in await queries.identifiers_of(connection, [row["id"] for row in rows]):
        text = f"{item['type']} {item['country_code']} {item['value']}"
        found.setdefault(item["organization_id"], []).append(text)
    for row in rows:
        row["identifiers"] = found.get(row["id"], [])
    return Section.of("operators", rows)


async def _audit(connection: AsyncConnection, user_id: uuid.UUID) -> Section:
    """Entries by, about or on the user; who acted is shown as for decisions, and another
    person an entry is about only as "another person"."""
    rows = await queries.audit_entries(connection, user_id)
    named = await _deciders(
        connection, user_id, [(row["actor_user_id"], row["organization_id"]) for row in rows]
    )
    for row in rows:
        row["done_by"] = named[(row.pop("actor_user_id"), row["organization_id"])]
        target = row.pop("target_user_id")
        row["about"] = None if target is None else ("you" if target == user_id else "other")
        if row["subject_type"] == "user" and row["subject_id"] != user_id:
            row["subject_id"] = None
    return Section.of("audit_log", rows)


async def my_data(database: Database, *, actor: Actor) -> MyData:
    """Everything the registry holds about the signed-in user, read in one transaction. Needs
    the registry's sign-in level (multi-factor), like every page; inactive users get theirs
    too."""
    async with database.transaction() as connection:
        principal = await load_principal(connection, actor)
        user_id = principal.user_id
        sections = [
            await _own_rows(connection, "user", users, "id", user_id),
            await _roles(connection, user_id),
            await _operators(connection, user_id),
            await _audit(connection, user_id),
            Section.of("created_by_you", await queries.created_by(connection, user_id)),
            Section.of("decided_by_you", await queries.decided_by(connection, user_id)),
            await _own_rows(
                connection,
                "web_service_requests",
                web_service_requests,
                "requested_by,decided_by",
                user_id,
            ),
            await _own_rows(
                connection,
                "machine_clients",
                machine_clients,
                "created_by,rotated_by,revoked_by",
                user_id,
            ),
            await _own_rows(connection, "sessions", auth_sessions, "user_id", user_id),
            await _own_rows(
                connection, "token_revocations", access_token_revocations, "user_id", user_id
            ),
        ]
    return MyData(user_id=user_id, exported_at=datetime.now(UTC), sections=sections)


def as_json(data: MyData) -> dict[str, Any]:
    """The JSON document: every section's rows, what was left out and why."""
    left_out: Mapping[str, list[str]] = {
        section.name: section.left_out for section in data.sections if section.left_out
    }
    return {
        "format": FORMAT,
        "user_id": str(data.user_id),
        "exported_at": data.exported_at.isoformat(),
        "sections": {section.name: plain(section.rows) for section in data.sections},
        "columns_left_out": dict(left_out),
        "columns_not_included": dict(EXCLUDED),
        "not_included": {
            "other people": "a decider is named by their organisation, never by name or "
            "e-mail; the people your own decisions were about are not named",
            "identity": "your account, second factors and sign-ins are in Gatehouse Login's "
            "own My data",
        },
    }
