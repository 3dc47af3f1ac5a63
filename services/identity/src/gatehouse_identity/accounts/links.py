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

from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_identity.accounts import queries
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
    connection: AsyncConnection,
    *,
    user_id: uuid.UUID,
    purpose: PasswordLinkPurpose,
    ttl: timedelta,
    event_id: uuid.UUID | None = None,
) -> IssuedLink:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires_at = datetime.now(UTC) + ttl
    await queries.retire_open_links(connection, user_ids=[user_id])
    await queries.insert_links(
        connection,
        links=[
            queries.NewLink(
                token_hash=token_hash(token),
                user_id=user_id,
                purpose=purpose.value,
                event_id=event_id,
                expires_at=expires_at,
            )
        ],
    )
    return IssuedLink(token=token, expires_at=expires_at)


@dataclass(frozen=True)
class LinkRequest:
    user_id: uuid.UUID
    purpose: PasswordLinkPurpose
    ttl: timedelta
    event_id: uuid.UUID | None = None


async def issue_password_links(
    connection: AsyncConnection, requests: Sequence[LinkRequest]
) -> list[IssuedLink]:
    """`issue_password_link` for many users in two statements instead of two each (the
    notifier asks for a whole batch of events at once). Same outcome as one by one, in order: a
    user's earlier open links are retired, and of two links for one user only the later is open.
    Every user must exist (the caller checks)."""
    now = datetime.now(UTC)
    tokens = [secrets.token_urlsafe(TOKEN_BYTES) for _ in requests]
    last = {request.user_id: index for index, request in enumerate(requests)}
    await queries.retire_open_links(connection, user_ids=list(last))
    await queries.insert_links(
        connection,
        links=[
            queries.NewLink(
                token_hash=token_hash(token),
                user_id=request.user_id,
                purpose=request.purpose.value,
                event_id=request.event_id,
                expires_at=now + request.ttl,
                used_at=None if last[request.user_id] == index else now,
            )
            for index, (token, request) in enumerate(zip(tokens, requests, strict=True))
        ],
    )
    return [
        IssuedLink(token=token, expires_at=now + request.ttl)
        for token, request in zip(tokens, requests, strict=True)
    ]


def _plausible(token: str) -> bool:
    return bool(token) and len(token) <= MAX_TOKEN_LENGTH and token.isascii()


async def consume_password_link(connection: AsyncConnection, token: str) -> uuid.UUID:
    """Marks the link used and returns its user; InvalidLinkError if it cannot be used."""
    if not _plausible(token):
        raise InvalidLinkError("the link is not valid", field="token")
    user_id = await queries.use_link(connection, token_hash=token_hash(token))
    if user_id is None:
        raise InvalidLinkError(
            "the link is not valid: it was already used, has expired or was replaced",
            field="token",
        )
    return user_id


async def check_password_link(connection: AsyncConnection, token: str) -> bool:
    """True when the link can still be used (for showing the form before the user types)."""
    if not _plausible(token):
        return False
    return await queries.link_is_open(connection, token_hash=token_hash(token))


@dataclass(frozen=True)
class LinkReturn:
    """Where signing in goes once an e-mailed link has set the password: the `next` path and
    `level` of the sign-in page that sent the person to sign up or reset their password. The
    web layer validates both before they are kept and again when they are used."""

    next_url: str
    level: str | None = None


async def remember_return(
    connection: AsyncConnection, *, event_id: uuid.UUID, back: LinkReturn
) -> None:
    """Keep `back` for the link the notifier will ask for with `event_id` (server-side: the
    e-mailed URL carries nothing but the token)."""
    await queries.forget_returns_older_than(connection, age=RETURN_KEPT)
    await queries.insert_return(
        connection, event_id=event_id, next_url=back.next_url, level=back.level
    )


async def return_of_link(connection: AsyncConnection, token: str) -> LinkReturn | None:
    """Where the link `token` was asked for from, used or not (the token is the secret)."""
    if not _plausible(token):
        return None
    found = await queries.return_of_link(connection, token_hash=token_hash(token))
    return None if found is None else LinkReturn(*found)
