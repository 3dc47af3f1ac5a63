"""Delete my account (accounts/deletion.py) on a rolled-back database: the last-administrator
rule and an unreachable registry refuse before anything changes; the typed confirmation must be
the address; deleting removes every row that names the user, frees the address, keeps the audit
log's entries under the bare id, and writes the two events (the personal one for the notifier
alone); a second deletion is told the account is gone."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse.events.v1 import identity_events_pb2 as events
from gatehouse_common.db import Database
from gatehouse_identity.accounts import deletion
from gatehouse_identity.accounts.errors import (
    AccountAlreadyDeletedError,
    DeletionNotConfirmedError,
    LastAdministratorError,
    RegistryUnavailableError,
)
from gatehouse_identity.accounts.registry import RegistryUnreachableError
from gatehouse_identity.my_data import export
from gatehouse_identity.tables import audit_log, outbox_events, recovery_codes, users

EMAIL = "Anna.Svensson@Example.se"


class Registry:
    """The registry's answer, as RoleService.ListSoleAdministrations gives it."""

    def __init__(self, alone: list[str] | None = None, *, reachable: bool = True) -> None:
        self.alone = alone or []
        self.reachable = reachable
        self.asked: list[uuid.UUID] = []

    async def sole_administrations(self, *, user_id: uuid.UUID) -> list[str]:
        self.asked.append(user_id)
        if not self.reachable:
            raise RegistryUnreachableError("UNAVAILABLE")
        return self.alone


async def _count(connection: AsyncConnection, table: Any, column: Any, user_id: uuid.UUID) -> int:
    return int(await connection.scalar(select(func.count()).where(column == user_id)) or 0)


async def test_deleting_removes_every_row_about_the_user_and_writes_both_events(
    rolled_back_database: Database, db_connection: AsyncConnection, make_user: Any
) -> None:
    user_id = await make_user(email=EMAIL, email_language="sv")
    other = await make_user()
    for owner in (user_id, other):
        await db_connection.execute(recovery_codes.insert().values(user_id=owner, code_hash=b"x"))
    registry = Registry()

    deleted = await deletion.delete_account(
        rolled_back_database, registry=registry, user_id=user_id, confirmation=f"  {EMAIL.upper()} "
    )

    assert registry.asked == [user_id]
    assert deleted.pseudonym == deletion.pseudonym_of(user_id)
    assert deleted.pseudonym.startswith("deleted-user-")
    assert EMAIL.lower() not in deleted.pseudonym
    for name, (table, column) in export.tables_about_users().items():
        if name == "audit_log":
            continue
        assert await _count(db_connection, table, column, user_id) == 0, name
    assert await _count(db_connection, users, users.c.id, other) == 1
    assert await _count(db_connection, recovery_codes, recovery_codes.c.user_id, other) == 1
    kinds = list(
        await db_connection.scalars(select(audit_log.c.kind).where(audit_log.c.user_id == user_id))
    )
    assert kinds == ["account.deleted"]

    rows = {
        row.event_type: bytes(row.payload)
        for row in await db_connection.execute(
            select(outbox_events.c.event_type, outbox_events.c.payload).where(
                outbox_events.c.subject == str(user_id)
            )
        )
    }
    said = events.UserDeleted.FromString(rows[deletion.DELETED_EVENT])
    assert (said.user_id, said.pseudonym) == (str(user_id), deleted.pseudonym)
    assert EMAIL.encode() not in rows[deletion.DELETED_EVENT]
    farewell = events.UserFarewellRequested.FromString(rows[deletion.FAREWELL_EVENT])
    assert (farewell.email, farewell.email_language) == (EMAIL, "sv")

    # The address is free again; deleting again finds nothing.
    assert await make_user(email=EMAIL)
    with pytest.raises(AccountAlreadyDeletedError):
        await deletion.delete_account(
            rolled_back_database, registry=registry, user_id=user_id, confirmation=EMAIL
        )


@pytest.mark.parametrize(
    ("registry", "error"),
    [
        (Registry(["Nordfrukt Import AB"]), LastAdministratorError),
        (Registry(reachable=False), RegistryUnavailableError),
        (None, RegistryUnavailableError),
    ],
)
async def test_the_registry_must_say_no_organization_is_left_without_an_administrator(
    rolled_back_database: Database,
    db_connection: AsyncConnection,
    make_user: Any,
    registry: Registry | None,
    error: type[Exception],
) -> None:
    user_id = await make_user(email=EMAIL)
    with pytest.raises(error) as raised:
        await deletion.delete_account(
            rolled_back_database, registry=registry, user_id=user_id, confirmation=EMAIL
        )
    if isinstance(raised.value, LastAdministratorError):
        assert raised.value.params == {"names": "Nordfrukt Import AB"}
    assert await _count(db_connection, users, users.c.id, user_id) == 1
    assert await _count(db_connection, outbox_events, outbox_events.c.subject, str(user_id)) == 0  # type: ignore[arg-type]


@pytest.mark.parametrize("typed", ["", "   ", "someone.else@example.se", "x" * 400])
async def test_the_confirmation_must_be_the_accounts_address(
    rolled_back_database: Database, db_connection: AsyncConnection, make_user: Any, typed: str
) -> None:
    user_id = await make_user(email=EMAIL)
    with pytest.raises(DeletionNotConfirmedError):
        await deletion.delete_account(
            rolled_back_database, registry=Registry(), user_id=user_id, confirmation=typed
        )
    assert await _count(db_connection, users, users.c.id, user_id) == 1
