"""The SQL of the registered relying parties (oidc/clients.py checks a registration and a
client's secret; only the secret's SHA-256 is stored)."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_identity.levels import Level, as_level
from gatehouse_identity.oidc.client_models import Client
from gatehouse_identity.tables import oidc_clients

_clients = oidc_clients

# What the provider reads of a client; a client with neither a secret nor keys is public.
_CLIENT_COLUMNS = (
    _clients.c.client_id,
    _clients.c.name,
    and_(
        _clients.c.secret_hash.is_(None), _clients.c.jwks.is_(None), _clients.c.jwks_uri.is_(None)
    ).label("public"),
    _clients.c.redirect_uris,
    _clients.c.post_logout_redirect_uris,
    _clients.c.backchannel_logout_uri,
    _clients.c.min_level,
    _clients.c.first_party,
    _clients.c.scopes,
    _clients.c.grant_types,
    _clients.c.jwks,
    _clients.c.jwks_uri,
    _clients.c.require_pushed_authorization_requests,
    _clients.c.dpop_bound_access_tokens,
    _clients.c.operator_id,
)

# What registering again (`replace`) overwrites; the scopes and the operator stay as first
# registered.
_REPLACED = (
    "name",
    "secret_hash",
    "redirect_uris",
    "post_logout_redirect_uris",
    "backchannel_logout_uri",
    "min_level",
    "first_party",
    "grant_types",
    "jwks",
    "jwks_uri",
    "require_pushed_authorization_requests",
    "dpop_bound_access_tokens",
)


def _client(row: Any) -> Client:
    return Client(
        client_id=row.client_id,
        name=row.name,
        public=row.public,
        redirect_uris=list(row.redirect_uris),
        post_logout_redirect_uris=list(row.post_logout_redirect_uris),
        backchannel_logout_uri=row.backchannel_logout_uri,
        min_level=as_level(row.min_level) or "phishing_resistant",
        first_party=row.first_party,
        scopes=list(row.scopes),
        grant_types=list(row.grant_types),
        jwks=row.jwks,
        jwks_uri=row.jwks_uri,
        require_pushed_authorization_requests=row.require_pushed_authorization_requests,
        dpop_bound_access_tokens=row.dpop_bound_access_tokens,
        operator_id=row.operator_id,
    )


@dataclass(frozen=True)
class NewClient:
    """A checked registration, as stored."""

    client_id: str
    name: str
    secret_hash: bytes | None
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]
    backchannel_logout_uri: str | None
    min_level: Level
    first_party: bool
    scopes: list[str]
    grant_types: list[str]
    jwks: dict[str, Any] | None
    jwks_uri: str | None
    require_pushed_authorization_requests: bool
    dpop_bound_access_tokens: bool
    operator_id: uuid.UUID | None


async def insert_client(
    connection: AsyncConnection, *, new: NewClient, replace: bool
) -> Client | None:
    """The client as stored; None when the id is taken and `replace` is False."""
    statement = insert(_clients).values(asdict(new))
    if replace:
        statement = statement.on_conflict_do_update(
            index_elements=[_clients.c.client_id],
            set_={name: statement.excluded[name] for name in _REPLACED}
            | {"updated_at": func.now()},
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=[_clients.c.client_id])
    row = (await connection.execute(statement.returning(*_CLIENT_COLUMNS))).first()
    return None if row is None else _client(row)


async def client_by_id(connection: AsyncConnection, *, client_id: str) -> Client | None:
    row = (
        await connection.execute(select(*_CLIENT_COLUMNS).where(_clients.c.client_id == client_id))
    ).first()
    return None if row is None else _client(row)


async def all_clients(connection: AsyncConnection) -> list[Client]:
    rows = await connection.execute(select(*_CLIENT_COLUMNS).order_by(_clients.c.client_id))
    return [_client(row) for row in rows]


# A client's look-up at every token request (client_credentials above all): on the driver, as
# grant_queries.active_access and for the same reason — through SQLAlchemy Core the result
# processing of the client's fifteen typed columns cost more identity CPU than the statement
# (make bench client_credentials, 2026-12-03). The same columns as _CLIENT_COLUMNS;
# test_clients.py checks that both paths give the same client.
_CLIENT_LOOKUP_SQL = """
SELECT client_id, name, (secret_hash IS NULL AND jwks IS NULL AND jwks_uri IS NULL) AS public,
       redirect_uris, post_logout_redirect_uris, backchannel_logout_uri, min_level, first_party,
       scopes, grant_types, jwks, jwks_uri, require_pushed_authorization_requests,
       dpop_bound_access_tokens, operator_id, secret_hash
  FROM oidc_clients
 WHERE client_id = $1
"""


async def client_and_secret_hash(
    connection: AsyncConnection, *, client_id: str
) -> tuple[Client, bytes | None] | None:
    """The client and the hash of its secret (None without one)."""
    row = (await connection.exec_driver_sql(_CLIENT_LOOKUP_SQL, (client_id,))).first()
    if row is None:
        return None
    stored = row.secret_hash
    return _client(row), None if stored is None else bytes(stored)


async def delete_client(connection: AsyncConnection, *, client_id: str) -> bool:
    """Delete the client (its grants and tokens go with it, by cascade); False if unknown."""
    deleted = await connection.scalar(
        delete(_clients).where(_clients.c.client_id == client_id).returning(_clients.c.client_id)
    )
    return deleted is not None


async def replace_secret_hash(
    connection: AsyncConnection, *, client_id: str, secret_hash: bytes
) -> bool:
    """Replace a confidential client's secret; False when there is no client with a secret."""
    updated = await connection.scalar(
        update(_clients)
        .where(_clients.c.client_id == client_id, _clients.c.secret_hash.is_not(None))
        .values(secret_hash=secret_hash, updated_at=func.now())
        .returning(_clients.c.client_id)
    )
    return updated is not None


async def replace_client_jwks(
    connection: AsyncConnection, *, client_id: str, jwks: dict[str, Any]
) -> None:
    await connection.execute(
        update(_clients)
        .where(_clients.c.client_id == client_id)
        .values(jwks=jwks, updated_at=func.now())
    )


async def delete_machine_clients(
    connection: AsyncConnection,
    *,
    client_id: str | None = None,
    operator_id: uuid.UUID | None = None,
) -> list[str]:
    """Delete the machine client `client_id`, or every machine client of `operator_id` (with
    their grants and tokens, by cascade); the ids deleted."""
    which = (
        _clients.c.client_id == client_id
        if client_id is not None
        else _clients.c.operator_id == operator_id
    )
    rows = await connection.execute(
        delete(_clients)
        .where(_clients.c.operator_id.is_not(None), which)
        .returning(_clients.c.client_id)
    )
    return sorted(row.client_id for row in rows)
