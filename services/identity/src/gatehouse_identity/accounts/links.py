"""Single-use, expiring links that let a user set or reset their password.

The token is 256 random bits; only its SHA-256 is stored (a fast hash is enough for a value with
that much entropy). Issuing a new link for a user retires their earlier open links, so only the
newest e-mail works.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from gatehouse_common.db import Connection
from gatehouse_identity.accounts.errors import InvalidLinkError
from gatehouse_identity.accounts.models import PasswordLinkPurpose

TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 100
# A return address outlives any link made for it (24 h at most), even from a notifier days late.
RETURN_KEPT = timedelta(days=7)


@dataclass(frozen=True)
class IssuedLink:
    token: str
    expires_at: datetime


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def issue_password_link(
    connection: Connection,
    *,
    user_id: uuid.UUID,
    purpose: PasswordLinkPurpose,
    ttl: timedelta,
    event_id: uuid.UUID | None = None,
) -> IssuedLink:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires_at = datetime.now(UTC) + ttl
    await connection.execute(
        "UPDATE password_links SET used_at = now() WHERE user_id = $1 AND used_at IS NULL",
        user_id,
    )
    await connection.execute(
        """INSERT INTO password_links (token_hash, user_id, purpose, event_id, expires_at)
           VALUES ($1, $2, $3, $4, $5)""",
        token_hash(token),
        user_id,
        purpose.value,
        event_id,
        expires_at,
    )
    return IssuedLink(token=token, expires_at=expires_at)


@dataclass(frozen=True)
class LinkRequest:
    user_id: uuid.UUID
    purpose: PasswordLinkPurpose
    ttl: timedelta
    event_id: uuid.UUID | None = None


async def issue_password_links(
    connection: Connection, requests: Sequence[LinkRequest]
) -> list[IssuedLink]:
    """`issue_password_link` for many users in three statements instead of two each (the
    notifier asks for a whole batch of events at once). Same outcome as one by one, in order: a
    user's earlier open links are retired, and of two links for one user only the later is open.
    Every user must exist (the caller checks)."""
    now = datetime.now(UTC)
    tokens = [secrets.token_urlsafe(TOKEN_BYTES) for _ in requests]
    last = {request.user_id: index for index, request in enumerate(requests)}
    await connection.execute(
        """UPDATE password_links SET used_at = now()
            WHERE user_id = ANY($1::uuid[]) AND used_at IS NULL""",
        list(last),
    )
    await connection.execute(
        """INSERT INTO password_links (token_hash, user_id, purpose, event_id, expires_at, used_at)
           SELECT * FROM unnest($1::bytea[], $2::uuid[], $3::text[], $4::uuid[],
                                $5::timestamptz[], $6::timestamptz[])""",
        [token_hash(token) for token in tokens],
        [request.user_id for request in requests],
        [request.purpose.value for request in requests],
        [request.event_id for request in requests],
        [now + request.ttl for request in requests],
        [None if last[r.user_id] == index else now for index, r in enumerate(requests)],
    )
    return [
        IssuedLink(token=token, expires_at=now + request.ttl)
        for token, request in zip(tokens, requests, strict=True)
    ]


async def consume_password_link(connection: Connection, token: str) -> uuid.UUID:
    """Marks the link used and returns its user; InvalidLinkError if it cannot be used."""
    if not token or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        raise InvalidLinkError("the link is not valid", field="token")
    user_id: uuid.UUID | None = await connection.fetchval(
        """UPDATE password_links SET used_at = now()
            WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
        RETURNING user_id""",
        token_hash(token),
    )
    if user_id is None:
        raise InvalidLinkError(
            "the link is not valid: it was already used, has expired or was replaced",
            field="token",
        )
    return user_id


async def check_password_link(connection: Connection, token: str) -> bool:
    """True when the link can still be used (for showing the form before the user types)."""
    if not token or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        return False
    found = await connection.fetchval(
        """SELECT 1 FROM password_links
            WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()""",
        token_hash(token),
    )
    return found is not None


@dataclass(frozen=True)
class LinkReturn:
    """Where signing in goes once an e-mailed link has set the password: the `next` path and
    `level` of the sign-in page that sent the person to sign up or reset their password. The
    web layer validates both before they are kept and again when they are used."""

    next_url: str
    level: str | None = None


async def remember_return(connection: Connection, *, event_id: uuid.UUID, back: LinkReturn) -> None:
    """Keep `back` for the link the notifier will ask for with `event_id` (server-side: the
    e-mailed URL carries nothing but the token)."""
    await connection.execute(
        "DELETE FROM password_link_returns WHERE created_at < now() - $1::interval", RETURN_KEPT
    )
    await connection.execute(
        "INSERT INTO password_link_returns (event_id, next_url, level) VALUES ($1, $2, $3)",
        event_id,
        back.next_url,
        back.level,
    )


async def return_of_link(connection: Connection, token: str) -> LinkReturn | None:
    """Where the link `token` was asked for from, used or not (the token is the secret)."""
    if not token or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        return None
    row = await connection.fetchrow(
        """SELECT r.next_url, r.level
             FROM password_links AS l JOIN password_link_returns AS r USING (event_id)
            WHERE l.token_hash = $1""",
        token_hash(token),
    )
    return None if row is None else LinkReturn(row["next_url"], row["level"])
