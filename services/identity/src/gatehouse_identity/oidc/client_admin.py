"""Client administration by other services (the HTTP admin API): registering, removing and
re-keying a client, each written to the audit log with the calling service. No user does this,
so the entries name none."""

from __future__ import annotations

from gatehouse_common.db import Database
from gatehouse_identity.audit import service as audit
from gatehouse_identity.audit.service import AuditKind
from gatehouse_identity.oidc import clients
from gatehouse_identity.oidc.client_models import Client
from gatehouse_identity.oidc.clients import ClientRegistration, UnknownClientError


async def register(
    database: Database,
    registration: ClientRegistration,
    *,
    caller: str,
    allow_plain_http: bool,
    replace: bool,
) -> tuple[Client, str | None]:
    """The client and its secret (None for a public client); ClientError when refused."""
    client, secret = await clients.create_client(
        database, registration, allow_plain_http=allow_plain_http, replace=replace
    )
    await _audit(database, AuditKind.OIDC_CLIENT_CREATED, client_id=client.client_id, caller=caller)
    return client, secret


async def remove(database: Database, client_id: str, *, caller: str) -> None:
    """Remove a client and every token it holds; UnknownClientError when there is none."""
    if not await clients.delete_client(database, client_id):
        raise UnknownClientError(f"no client {client_id!r}")
    await _audit(database, AuditKind.OIDC_CLIENT_DELETED, client_id=client_id, caller=caller)


async def rotate_secret(database: Database, client_id: str, *, caller: str) -> str:
    """A new secret, shown once; UnknownClientError for an unknown or public client."""
    secret = await clients.rotate_secret(database, client_id)
    await _audit(database, AuditKind.OIDC_CLIENT_SECRET_ROTATED, client_id=client_id, caller=caller)
    return secret


async def _audit(database: Database, kind: AuditKind, *, client_id: str, caller: str) -> None:
    await audit.record(
        database, kind=kind, user_id=None, detail={"client_id": client_id, "caller": caller}
    )
