"""Client administration by other services (the HTTP admin API): registering, removing and
re-keying a client, each written to the audit log with the calling service. No user does this,
so the entries name none."""

from __future__ import annotations

import asyncpg

from gatehouse_identity.audit import service as audit
from gatehouse_identity.audit.service import AuditKind
from gatehouse_identity.oidc import clients
from gatehouse_identity.oidc.clients import Client, ClientRegistration, UnknownClientError


async def register(
    pool: asyncpg.Pool,
    registration: ClientRegistration,
    *,
    caller: str,
    allow_plain_http: bool,
    replace: bool,
) -> tuple[Client, str | None]:
    """The client and its secret (None for a public client); ClientError when refused."""
    client, secret = await clients.create_client(
        pool, registration, allow_plain_http=allow_plain_http, replace=replace
    )
    await _audit(pool, AuditKind.OIDC_CLIENT_CREATED, client_id=client.client_id, caller=caller)
    return client, secret


async def remove(pool: asyncpg.Pool, client_id: str, *, caller: str) -> None:
    """Remove a client and every token it holds; UnknownClientError when there is none."""
    if not await clients.delete_client(pool, client_id):
        raise UnknownClientError(f"no client {client_id!r}")
    await _audit(pool, AuditKind.OIDC_CLIENT_DELETED, client_id=client_id, caller=caller)


async def rotate_secret(pool: asyncpg.Pool, client_id: str, *, caller: str) -> str:
    """A new secret, shown once; UnknownClientError for an unknown or public client."""
    secret = await clients.rotate_secret(pool, client_id)
    await _audit(pool, AuditKind.OIDC_CLIENT_SECRET_ROTATED, client_id=client_id, caller=caller)
    return secret


async def _audit(pool: asyncpg.Pool, kind: AuditKind, *, client_id: str, caller: str) -> None:
    await audit.record(
        pool, kind=kind, user_id=None, detail={"client_id": client_id, "caller": caller}
    )
