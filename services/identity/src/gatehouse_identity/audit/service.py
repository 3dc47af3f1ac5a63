"""The security audit log (append-only table `audit_log`, migration 0006).

`record(...)` writes one entry. Changes write it in their own transaction (pass the
connection); failures, which roll back or change nothing, write it with a separate insert (pass
the `Database`). Where the request
came from (address, user agent) is taken from the transport: the HTTP application's
`ClientInfoMiddleware` puts it in a context variable for the request, so the services need not
carry it through every call; an explicit `client=` wins.

The detail is a small flat JSON object whose keys are on an allow-list (`DETAIL_KEYS`): values
are short strings, numbers or booleans. Passwords, codes, tokens and typed e-mail addresses have
no key to go under, so they cannot end up in the log by accident.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_common.db import Database
from gatehouse_identity.audit import queries
from gatehouse_identity.audit.queries import AuditEntry, NewEntry

MAX_USER_AGENT_LENGTH = 300
MAX_ADDRESS_LENGTH = 100
MAX_DETAIL_TEXT_LENGTH = 100
MAX_PAGE_SIZE = 100

# A connection inside the caller's transaction, or the Database for an insert of its own.
Db = AsyncConnection | Database
DetailValue = str | int | bool | None


class AuditKind(StrEnum):
    SIGN_IN_SUCCEEDED = "sign_in.succeeded"
    SIGN_IN_FAILED = "sign_in.failed"
    SIGN_IN_PASSKEY = "sign_in.passkey"
    SIGN_IN_PASSKEY_FAILED = "sign_in.passkey_failed"
    LOCKED = "sign_in.locked"
    PASSWORD_SET = "password.set"  # noqa: S105  (event kinds, not passwords)
    PASSWORD_CHANGED = "password.changed"  # noqa: S105
    PASSWORD_RESET_REQUESTED = "password.reset_requested"  # noqa: S105
    PROFILE_UPDATED = "profile.updated"
    SECOND_FACTOR_ADDED = "second_factor.added"
    SECOND_FACTOR_REMOVED = "second_factor.removed"
    SECOND_FACTOR_USED = "second_factor.used"
    SECOND_FACTOR_FAILED = "second_factor.failed"
    DEVICES_RESET = "second_factor.devices_reset"
    SESSION_ENDED = "session.ended"
    SIGNED_OUT_EVERYWHERE = "session.signed_out_everywhere"
    # "This wasn't me" confirmed from a new-device notice: signed out and blocked.
    SIGN_IN_REPORTED = "sign_in.reported"
    # My account → Delete my account: the account is gone; only this log keeps its id.
    ACCOUNT_DELETED = "account.deleted"
    OIDC_CLIENT_CREATED = "oidc_client.created"
    OIDC_CLIENT_DELETED = "oidc_client.deleted"
    OIDC_CLIENT_SECRET_ROTATED = "oidc_client.secret_rotated"  # noqa: S105
    OIDC_CLIENT_KEYS_REPLACED = "oidc_client.keys_replaced"


# The only keys a detail may have. None of them is meant for a secret or a typed address.
DETAIL_KEYS = frozenset(
    {
        "attempt_ended",  # a wrong second-factor answer ended the sign-in attempt
        "bucket",  # "device" or "unknown": which failure bucket a sign-in counted in
        "caller",  # the service that administered an OIDC client
        "client_id",
        "factor_id",
        "failed_attempts",
        "level",  # session level reached
        "method",  # second-factor method or kind
        "pseudonym",  # what other services show for a deleted account ("deleted-user-3f2a…")
        "reason",  # a fixed word, never free text from the request
        "removed_count",
        "replaced",  # a password set through a link replaced an earlier one
        "sessions_ended",
    }
)


@dataclass(frozen=True)
class ClientInfo:
    """Where a request came from: the address (uvicorn resolved X-Forwarded-For from trusted
    proxies already) and the user agent, truncated."""

    ip_address: str | None
    user_agent: str | None

    @classmethod
    def of(cls, ip_address: str | None, user_agent: str | None) -> ClientInfo:
        return cls(
            ip_address=ip_address[:MAX_ADDRESS_LENGTH] if ip_address else None,
            user_agent=user_agent[:MAX_USER_AGENT_LENGTH] if user_agent else None,
        )


NO_CLIENT = ClientInfo(ip_address=None, user_agent=None)
current_client: ContextVar[ClientInfo] = ContextVar("gatehouse_audit_client", default=NO_CLIENT)


def clean_detail(detail: Mapping[str, DetailValue] | None) -> dict[str, DetailValue]:
    """The detail as stored; unknown keys or values of other types are a programming error."""
    cleaned: dict[str, DetailValue] = {}
    for key, value in (detail or {}).items():
        if key not in DETAIL_KEYS:
            raise ValueError(f"audit detail key {key!r} is not allowed")
        if isinstance(value, str):
            cleaned[key] = value[:MAX_DETAIL_TEXT_LENGTH]
        elif value is None or isinstance(value, bool | int):
            cleaned[key] = value
        else:
            raise TypeError(f"audit detail {key!r} must be a string, number or boolean")
    return cleaned


async def record(
    db: Db,
    *,
    kind: AuditKind,
    user_id: uuid.UUID | None,
    detail: Mapping[str, DetailValue] | None = None,
    client: ClientInfo | None = None,
) -> None:
    """Append one entry. In a transaction when `db` is a connection inside one."""
    given = client or current_client.get()
    where = ClientInfo.of(given.ip_address, given.user_agent)
    entry = NewEntry(
        user_id=user_id,
        kind=kind.value,
        ip_address=where.ip_address,
        user_agent=where.user_agent,
        detail=clean_detail(detail),
    )
    if isinstance(db, AsyncConnection):
        await queries.insert_entry(db, entry=entry)
    else:
        async with db.connection() as connection:
            await queries.insert_entry(connection, entry=entry)


async def entries_for_user(
    database: Database, *, user_id: uuid.UUID, limit: int = 50, before_id: int | None = None
) -> list[AuditEntry]:
    """The user's own entries, newest first; `before_id` pages on from an earlier page."""
    async with database.connection() as connection:
        return await queries.entries_of(
            connection,
            user_id=user_id,
            limit=max(1, min(limit, MAX_PAGE_SIZE)),
            before_id=before_id,
        )
