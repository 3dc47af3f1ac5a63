"""Pushed authorization requests (RFC 9126): the client sends its authorization request straight
to identity, authenticated, and gets a `request_uri` to send the browser with instead of the
parameters. What the browser carries then reveals nothing and cannot be altered on the way.

A request_uri is `urn:ietf:params:oauth:request_uri:` and 256 random bits (only its SHA-256 is
stored), works once, only for the client that pushed it, and for OIDC_PAR_TTL_S (60 s).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from gatehouse_common.db import Database
from gatehouse_identity.oidc import queries
from gatehouse_identity.oidc.authorization_requests import PendingRequest
from gatehouse_identity.oidc.tokens import MAX_TOKEN_LENGTH, new_token, token_hash

REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"


async def push(database: Database, pending: PendingRequest, *, ttl_s: int) -> str:
    """Keep a validated request; returns its request_uri."""
    secret = new_token()
    async with database.connection() as connection:
        await queries.insert_pushed_request(
            connection,
            request_uri_hash=token_hash(secret),
            client_id=pending.client.client_id,
            params=pending.params(),
            created_at=pending.created_at,
            expires_at=pending.created_at + timedelta(seconds=ttl_s),
        )
    return REQUEST_URI_PREFIX + secret


async def pull(database: Database, *, client_id: str, request_uri: str) -> dict[str, Any] | None:
    """The pushed parameters, spent by this call; None when unknown, expired, already used or
    pushed by another client (whose request stays usable by it)."""
    secret = request_uri.removeprefix(REQUEST_URI_PREFIX)
    if secret == request_uri or not secret or len(secret) > MAX_TOKEN_LENGTH:
        return None
    async with database.connection() as connection:
        return await queries.take_pushed_request(
            connection, request_uri_hash=token_hash(secret), client_id=client_id
        )
