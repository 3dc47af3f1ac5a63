"""The SQL of grants and of the codes and tokens issued from them (oidc/grants.py decides what a
code or a token is worth; only their SHA-256 hashes are stored here).

A code and a refresh token work once: redeeming one locks its row (`FOR UPDATE`) in the
transaction that spends it, so two requests racing with the same code or refresh token are
served one after the other and the second finds it spent.

Beside oidc/queries.py (the FAPI statements) rather than in it: one module of statements
per part of the provider.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_identity.tables import (
    eid_states,
    oidc_access_tokens,
    oidc_authorization_codes,
    oidc_authorization_requests,
    oidc_backchannel_logouts,
    oidc_grants,
    oidc_pushed_authorization_requests,
    oidc_refresh_tokens,
    oidc_used_jtis,
    users,
)

_grants = oidc_grants
_codes = oidc_authorization_codes
_access = oidc_access_tokens
_refresh = oidc_refresh_tokens


@dataclass(frozen=True)
class Grant:
    id: uuid.UUID
    client_id: str
    user_id: uuid.UUID
    sid: str
    scopes: list[str]
    level: str
    amr: list[str]
    auth_time: datetime
    expires_at: datetime
    # The DPoP key a public client's refresh tokens are bound to (RFC 9449 §5).
    dpop_jkt: str | None = None


# A grant's columns, as every redemption and introspection reads them (with its revocation).
_GRANT_COLUMNS = (
    _grants.c.id.label("grant_id"),
    _grants.c.client_id,
    _grants.c.user_id,
    _grants.c.sid,
    _grants.c.scopes,
    _grants.c.level,
    _grants.c.amr,
    _grants.c.auth_time,
    _grants.c.expires_at.label("grant_expires_at"),
    _grants.c.revoked_at,
    _grants.c.dpop_jkt.label("grant_dpop_jkt"),
    users.c.status.label("user_status"),
)


def _grant(row: Any) -> Grant:
    return Grant(
        id=row.grant_id,
        client_id=row.client_id,
        user_id=row.user_id,
        sid=row.sid,
        scopes=list(row.scopes),
        level=row.level,
        amr=list(row.amr),
        auth_time=row.auth_time,
        expires_at=row.grant_expires_at,
        dpop_jkt=row.grant_dpop_jkt,
    )


@dataclass(frozen=True)
class CodeToRedeem:
    """An authorization code, locked until the transaction ends, with its grant and user."""

    grant: Grant
    grant_revoked: bool
    user_status: str
    redirect_uri: str
    code_challenge: str | None
    nonce: str | None
    expires_at: datetime
    used: bool
    dpop_jkt: str | None


@dataclass(frozen=True)
class RefreshToRedeem:
    """A refresh token and its grant, both locked until the transaction ends."""

    grant: Grant
    grant_revoked: bool
    user_status: str
    expires_at: datetime
    used: bool


@dataclass(frozen=True)
class AccessInfo:
    """What an active access token says (for userinfo and introspection)."""

    grant: Grant
    expires_at: datetime
    dpop_jkt: str | None = None


async def insert_grant(
    connection: AsyncConnection,
    *,
    grant_id: uuid.UUID,
    client_id: str,
    user_id: uuid.UUID,
    session_id_hash: bytes,
    sid: str,
    scopes: list[str],
    level: str,
    amr: list[str],
    auth_time: datetime,
    expires_at: datetime,
) -> None:
    await connection.execute(
        insert(_grants).values(
            id=grant_id,
            client_id=client_id,
            user_id=user_id,
            session_id_hash=session_id_hash,
            sid=sid,
            scopes=scopes,
            level=level,
            amr=amr,
            auth_time=auth_time,
            expires_at=expires_at,
        )
    )


async def insert_code(
    connection: AsyncConnection,
    *,
    code_hash: bytes,
    grant_id: uuid.UUID,
    redirect_uri: str,
    code_challenge: str | None,
    nonce: str | None,
    expires_at: datetime,
    dpop_jkt: str | None,
) -> None:
    await connection.execute(
        insert(_codes).values(
            code_hash=code_hash,
            grant_id=grant_id,
            redirect_uri=redirect_uri,
            code_challenge=code_challenge,
            nonce=nonce,
            expires_at=expires_at,
            dpop_jkt=dpop_jkt,
        )
    )


async def lock_code(connection: AsyncConnection, *, code_hash: bytes) -> CodeToRedeem | None:
    """The code with its grant, its row locked (FOR UPDATE OF the code) until the transaction
    ends: a second redemption of the same code waits, then finds it used."""
    row = (
        await connection.execute(
            select(
                _codes.c.redirect_uri,
                _codes.c.code_challenge,
                _codes.c.nonce,
                _codes.c.expires_at,
                _codes.c.used_at,
                _codes.c.dpop_jkt.label("code_dpop_jkt"),
                *_GRANT_COLUMNS,
            )
            .join_from(_codes, _grants, _grants.c.id == _codes.c.grant_id)
            .join(users, users.c.id == _grants.c.user_id)
            .where(_codes.c.code_hash == code_hash)
            .with_for_update(of=_codes)
        )
    ).first()
    if row is None:
        return None
    return CodeToRedeem(
        grant=_grant(row),
        grant_revoked=row.revoked_at is not None,
        user_status=row.user_status,
        redirect_uri=row.redirect_uri,
        code_challenge=row.code_challenge,
        nonce=row.nonce,
        expires_at=row.expires_at,
        used=row.used_at is not None,
        dpop_jkt=row.code_dpop_jkt,
    )


async def spend_code(connection: AsyncConnection, *, code_hash: bytes) -> None:
    await connection.execute(
        update(_codes).where(_codes.c.code_hash == code_hash).values(used_at=func.now())
    )


async def revoke_grant(connection: AsyncConnection, *, grant_id: uuid.UUID, reason: str) -> None:
    await connection.execute(
        update(_grants)
        .where(_grants.c.id == grant_id, _grants.c.revoked_at.is_(None))
        .values(revoked_at=func.now(), revoked_reason=reason)
    )


async def bind_grant_to_key(connection: AsyncConnection, *, grant_id: uuid.UUID, jkt: str) -> None:
    await connection.execute(update(_grants).where(_grants.c.id == grant_id).values(dpop_jkt=jkt))


async def insert_tokens(
    connection: AsyncConnection,
    *,
    grant_id: uuid.UUID,
    access_token_hash: bytes,
    access_expires_at: datetime,
    access_jkt: str | None,
    refresh_token_hash: bytes,
    refresh_expires_at: datetime,
) -> None:
    await connection.execute(
        insert(_access).values(
            token_hash=access_token_hash,
            grant_id=grant_id,
            expires_at=access_expires_at,
            dpop_jkt=access_jkt,
        )
    )
    await connection.execute(
        insert(_refresh).values(
            token_hash=refresh_token_hash, grant_id=grant_id, expires_at=refresh_expires_at
        )
    )


async def lock_refresh_token(
    connection: AsyncConnection, *, token_hash: bytes
) -> RefreshToRedeem | None:
    """The refresh token with its grant, both rows locked (FOR UPDATE OF the token and the
    grant) until the transaction ends: one rotation at a time per token and per family."""
    row = (
        await connection.execute(
            select(_refresh.c.used_at, _refresh.c.expires_at, *_GRANT_COLUMNS)
            .join_from(_refresh, _grants, _grants.c.id == _refresh.c.grant_id)
            .join(users, users.c.id == _grants.c.user_id)
            .where(_refresh.c.token_hash == token_hash)
            .with_for_update(of=[_refresh, _grants])
        )
    ).first()
    if row is None:
        return None
    return RefreshToRedeem(
        grant=_grant(row),
        grant_revoked=row.revoked_at is not None,
        user_status=row.user_status,
        expires_at=row.expires_at,
        used=row.used_at is not None,
    )


async def spend_refresh_token(connection: AsyncConnection, *, token_hash: bytes) -> None:
    await connection.execute(
        update(_refresh).where(_refresh.c.token_hash == token_hash).values(used_at=func.now())
    )


# Token introspection is the hottest statement identity has (every opaque-token call of a resource
# server). Run through SQLAlchemy Core it cost 0.48 ms more identity CPU per call than on the driver
# (make bench introspect_grpc, 2026-12-03: 0.67 → 1.15 ms per call), nearly all of it in result
# processing of the grant's twelve typed columns. So it is plain SQL on the driver, the same
# statement the Core construct would build; `test_grants.py` checks both paths agree.
_ACTIVE_ACCESS_SQL = """
SELECT a.expires_at AS access_expires_at, a.dpop_jkt,
       g.id AS grant_id, g.client_id, g.user_id, g.sid, g.scopes, g.level, g.amr, g.auth_time,
       g.expires_at AS grant_expires_at, g.revoked_at, g.dpop_jkt AS grant_dpop_jkt,
       u.status AS user_status
  FROM oidc_access_tokens a
  JOIN oidc_grants g ON g.id = a.grant_id
  JOIN users u ON u.id = g.user_id
 WHERE a.token_hash = $1 AND a.expires_at > now() AND g.revoked_at IS NULL
   AND u.status = 'active'
"""


async def active_access(connection: AsyncConnection, *, token_hash: bytes) -> AccessInfo | None:
    """The grant behind an access token that has not expired, of a live grant and an active
    account; None otherwise."""
    row = (await connection.exec_driver_sql(_ACTIVE_ACCESS_SQL, (token_hash,))).first()
    if row is None:
        return None
    return AccessInfo(grant=_grant(row), expires_at=row.access_expires_at, dpop_jkt=row.dpop_jkt)


async def grant_of_refresh_token(
    connection: AsyncConnection, *, token_hash: bytes, client_id: str
) -> uuid.UUID | None:
    """The grant of the client's refresh token with this hash, used or not."""
    grant_id: uuid.UUID | None = await connection.scalar(
        select(_grants.c.id)
        .join_from(_refresh, _grants, _grants.c.id == _refresh.c.grant_id)
        .where(_refresh.c.token_hash == token_hash, _grants.c.client_id == client_id)
    )
    return grant_id


async def delete_access_token(
    connection: AsyncConnection, *, token_hash: bytes, client_id: str
) -> None:
    """Delete the client's access token with this hash (DELETE … USING its grant)."""
    await connection.execute(
        delete(_access).where(
            _access.c.token_hash == token_hash,
            _grants.c.id == _access.c.grant_id,
            _grants.c.client_id == client_id,
        )
    )


async def delete_stale(connection: AsyncConnection) -> None:
    """Rows that can no longer be used by anyone, one statement at a time (each commits on its
    own under `Database.connection()`, as housekeeping always did)."""
    now = func.now()
    day = timedelta(days=1)
    for statement in (
        delete(oidc_authorization_requests).where(oidc_authorization_requests.c.expires_at < now),
        # Cascades to the grants' codes and tokens.
        delete(_grants).where(_grants.c.expires_at < now - day),
        delete(_codes).where(_codes.c.expires_at < now - day),
        delete(_access).where(_access.c.expires_at < now),
        delete(eid_states).where(eid_states.c.expires_at < now),
        delete(oidc_used_jtis).where(oidc_used_jtis.c.expires_at < now),
        delete(oidc_pushed_authorization_requests).where(
            oidc_pushed_authorization_requests.c.expires_at < now
        ),
        delete(oidc_backchannel_logouts).where(
            or_(
                oidc_backchannel_logouts.c.delivered_at.is_not(None),
                oidc_backchannel_logouts.c.abandoned_at.is_not(None),
            ),
            oidc_backchannel_logouts.c.created_at < now - timedelta(days=7),
        ),
    ):
        await connection.execute(statement)
