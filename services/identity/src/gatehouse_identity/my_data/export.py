"""*My data* (issue 18, point 3; GDPR art. 15 and 20): everything identity holds about a user, as
one JSON document and as a page a person can read.

Every table with a user column (a `user_id`, or a foreign key to `users`) is either exported
(EXPORTED: its rows about the user) or excluded with the reason (EXCLUDED);
tests/my_data/test_export_coverage.py fails when a table is neither, so a new table is a
decision, not an oversight. Secrets never leave: binary columns (hashes of passwords links,
session ids, recovery codes and tokens; encrypted keys; WebAuthn handles) and the columns in
SECRET_COLUMNS are left out of every row, and the document says which were.

The e-mails the notifier wrote to the user come from the notifier over gRPC (email_history.py),
described but never reproduced (their bodies hold single-use links). When it does not answer in
time the export is still made, and says the history is unavailable right now.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, LargeBinary, Table

from gatehouse_common.db import Database
from gatehouse_identity.my_data import queries
from gatehouse_identity.my_data.email_history import (
    EmailHistory,
    EmailHistoryList,
    EmailHistoryUnavailableError,
)
from gatehouse_identity.tables import metadata

FORMAT = "gatehouse-identity-my-data/1"
logger = logging.getLogger(__name__)

# Exported, in the order the page shows them, with what each holds.
EXPORTED: dict[str, str] = {
    "users": "profile: name, e-mail, e-mail language, status, privacy statement accepted",
    "sessions": "sessions: when, from which address and browser, at which level",
    "second_factors": "second factors: kind, name, when added and last used",
    "phone_numbers": "mobile phone numbers registered for SMS codes",
    "recovery_codes": "when recovery codes were made and used (never the codes)",
    "second_factor_failure_bursts": "sign-in attempts ended by wrong second-factor codes",
    "password_links": "password links e-mailed: purpose, when made, expired and used",
    "password_failure_buckets": "wrong passwords counted in a row, and blocks",
    "seen_networks": "networks signed in from (for new-device notices)",
    "sign_in_notices": "new-device notices sent, and whether one was reported",
    "audit_log": "the security activity log",
    "oidc_consents": "applications allowed to receive the identity, and what",
    "oidc_grants": "sign-ins to applications",
    "oidc_user_settings": "application settings",
    "eid_links": "electronic identities linked to the account",
}

# Tables with a user column that are not exported, and why.
EXCLUDED: dict[str, str] = {
    "eid_states": "an eID sign-in under way: protocol values only, gone within minutes",
    "mfa_challenges": "a second-factor challenge under way, gone within minutes; its outcome is "
    "in the audit log",
    "totp_last_steps": "the last authenticator-code time step, kept only so that a code is "
    "not accepted twice",
    "oidc_backchannel_logouts": "logout notices queued for applications; the sessions and "
    "applications they concern are exported",
}

# Text columns that are secrets or name one (binary columns are always left out).
SECRET_COLUMNS: dict[str, frozenset[str]] = {
    "users": frozenset({"password_hash"}),
    # "device:<nonce>": the nonce of the browser's device cookie.
    "password_failure_buckets": frozenset({"bucket"}),
}


def user_column(table: Table) -> Column[Any] | None:
    """The column naming the user a row is about: `users.id`, a `user_id`, or a foreign key to
    `users`; None when the table has none."""
    if table.name == "users":
        return table.c.id
    if "user_id" in table.c:
        return table.c.user_id
    for column in table.c:
        if any(key.column.table.name == "users" for key in column.foreign_keys):
            return column
    return None


def tables_about_users() -> dict[str, tuple[Table, Column[Any]]]:
    """Every table with a user column, and that column."""
    found: dict[str, tuple[Table, Column[Any]]] = {}
    for table in metadata.sorted_tables:
        column = user_column(table)
        if column is not None:
            found[table.name] = (table, column)
    return found


def exported_columns(table: Table) -> tuple[list[Column[Any]], list[str]]:
    """The columns that may leave identity, and the names of those left out."""
    secret = SECRET_COLUMNS.get(table.name, frozenset())
    kept, left_out = [], []
    for column in table.c:
        if isinstance(column.type, LargeBinary) or column.name in secret:
            left_out.append(column.name)
        else:
            kept.append(column)
    return kept, left_out


def _plain(value: Any) -> Any:
    """A value JSON can carry: ids and times as text."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


@dataclass(frozen=True)
class Section:
    table: str
    what: str
    columns: list[str]
    rows: list[dict[str, Any]]
    left_out: list[str]


@dataclass(frozen=True)
class MyData:
    user_id: uuid.UUID
    exported_at: datetime
    sections: list[Section]
    # None: the notifier did not answer in time.
    email_history: EmailHistoryList | None

    def email_history_json(self) -> dict[str, Any]:
        if self.email_history is None:
            return {
                "available": False,
                "reason": "the notifier, which keeps the e-mails sent to you, did not answer "
                "in time; download again later to have them",
                "messages": [],
            }
        return {
            "available": True,
            "complete": self.email_history.complete,
            "bodies_left_out": "the texts of the e-mails are not included: they held "
            "single-use links",
            "messages": [
                {key: _plain(value) for key, value in asdict(email).items()}
                for email in self.email_history.emails
            ],
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "user_id": str(self.user_id),
            "exported_at": self.exported_at.isoformat(),
            "tables": {section.table: section.rows for section in self.sections},
            "columns_left_out": {
                section.table: section.left_out for section in self.sections if section.left_out
            },
            "tables_not_included": dict(EXCLUDED),
            "email_history": self.email_history_json(),
        }


async def my_data(
    database: Database, *, user_id: uuid.UUID, email_history: EmailHistory | None
) -> MyData:
    """Everything in EXPORTED about the user, read in one transaction, and the e-mails the
    notifier wrote to them (asked meanwhile; None when it does not answer in time or
    `email_history` is None)."""
    emails, sections = await asyncio.gather(
        _emails(email_history, user_id=user_id), _sections(database, user_id=user_id)
    )
    return MyData(
        user_id=user_id, exported_at=datetime.now(UTC), sections=sections, email_history=emails
    )


async def _emails(
    email_history: EmailHistory | None, *, user_id: uuid.UUID
) -> EmailHistoryList | None:
    if email_history is None:
        return None
    try:
        return await email_history.emails_to(user_id=user_id)
    except EmailHistoryUnavailableError:
        logger.warning("e-mail history left out of a My data export", exc_info=True)
        return None


async def _sections(database: Database, *, user_id: uuid.UUID) -> list[Section]:
    tables = tables_about_users()
    sections = []
    async with database.transaction() as connection:
        for name, what in EXPORTED.items():
            table, owner = tables[name]
            columns, left_out = exported_columns(table)
            rows = await queries.rows_of(
                connection, table=table, owner=owner, columns=columns, user_id=user_id
            )
            sections.append(
                Section(
                    table=name,
                    what=what,
                    columns=[column.name for column in columns],
                    rows=[{key: _plain(value) for key, value in row.items()} for row in rows],
                    left_out=left_out,
                )
            )
    return sections
