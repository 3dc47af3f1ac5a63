"""Grants and the codes and tokens issued from them.

A grant is one sign-in of a user to a client. Its authorization code, access tokens and refresh
tokens form one family: revoking the grant (sign-out, a reused code or refresh token, consent
withdrawn) ends them all. Codes live `OIDC_CODE_TTL_S` and work once; access tokens are what
access_tokens.py makes (JWTs by default); refresh tokens rotate at every use. Only SHA-256
hashes are stored.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import asyncpg

from gatehouse_common.db import Connection
from gatehouse_identity.oidc.clients import Client
from gatehouse_identity.oidc.errors import OAuthError, invalid_grant
from gatehouse_identity.oidc.tokens import (
    MAX_ACCESS_TOKEN_LENGTH,
    MAX_TOKEN_LENGTH,
    new_token,
    pkce_matches,
    token_hash,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TokenLifetimes:
    code: timedelta
    access: timedelta
    refresh: timedelta


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

    @classmethod
    def from_row(cls, row: Any) -> Grant:
        return cls(
            id=row["grant_id"],
            client_id=row["client_id"],
            user_id=row["user_id"],
            sid=row["sid"],
            scopes=list(row["scopes"]),
            level=row["level"],
            amr=list(row["amr"]),
            auth_time=row["auth_time"],
            expires_at=row["grant_expires_at"],
            dpop_jkt=row["grant_dpop_jkt"],
        )


GRANT_COLUMNS = (
    "g.id AS grant_id, g.client_id, g.user_id, g.sid, g.scopes, g.level, g.amr, g.auth_time,"
    " g.expires_at AS grant_expires_at, g.revoked_at, g.dpop_jkt AS grant_dpop_jkt"
)


class MintAccessToken(Protocol):
    """Makes the access token of a grant (access_tokens.AccessTokenIssuer.for_grant), bound to
    the DPoP key `jkt` when there is one."""

    async def __call__(
        self, grant: Grant, issued_at: datetime, expires_at: datetime, jkt: str | None
    ) -> str: ...


@dataclass(frozen=True)
class IssuedTokens:
    grant: Grant
    access_token: str
    access_expires_at: datetime
    refresh_token: str | None
    nonce: str | None = None
    # The DPoP key the access token is bound to (token_type DPoP), or None for Bearer.
    dpop_jkt: str | None = None


@dataclass(frozen=True)
class DPoPBinding:
    """The key of the token request's DPoP proof (None without one), and whether a public
    client's refresh tokens get bound to it."""

    jkt: str | None
    bind_refresh: bool = False


NO_DPOP = DPoPBinding(jkt=None)


@dataclass(frozen=True)
class AccessInfo:
    """What an active access token says (for userinfo and introspection)."""

    grant: Grant
    expires_at: datetime
    dpop_jkt: str | None = None


async def issue_code(
    pool: asyncpg.Pool,
    *,
    client: Client,
    user_id: uuid.UUID,
    session_id_hash: bytes,
    session_expires_at: datetime,
    sid: str,
    scopes: list[str],
    level: str,
    amr: list[str],
    auth_time: datetime,
    redirect_uri: str,
    code_challenge: str | None,
    nonce: str | None,
    lifetimes: TokenLifetimes,
    dpop_jkt: str | None = None,
) -> str:
    code = new_token()
    now = datetime.now(UTC)
    grant_id = uuid.uuid4()
    # A refresh token never outlives the identity session that produced it.
    grant_expires_at = min(now + lifetimes.refresh, session_expires_at)
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute(
            """INSERT INTO oidc_grants (id, client_id, user_id, session_id_hash, sid, scopes,
                                         level, amr, auth_time, expires_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)""",
            grant_id,
            client.client_id,
            user_id,
            session_id_hash,
            sid,
            scopes,
            level,
            amr,
            auth_time,
            grant_expires_at,
        )
        await connection.execute(
            """INSERT INTO oidc_authorization_codes (code_hash, grant_id, redirect_uri,
                                                     code_challenge, nonce, expires_at, dpop_jkt)
               VALUES ($1, $2, $3, $4, $5, $6, $7)""",
            token_hash(code),
            grant_id,
            redirect_uri,
            code_challenge,
            nonce,
            now + lifetimes.code,
            dpop_jkt,
        )
    return code


async def _revoke_grant(connection: Connection, grant_id: uuid.UUID, reason: str) -> None:
    await connection.execute(
        """UPDATE oidc_grants SET revoked_at = now(), revoked_reason = $2
            WHERE id = $1 AND revoked_at IS NULL""",
        grant_id,
        reason,
    )


async def _issue_tokens(
    connection: Connection,
    grant: Grant,
    lifetimes: TokenLifetimes,
    mint_access_token: MintAccessToken,
    *,
    nonce: str | None = None,
    jkt: str | None = None,
) -> IssuedTokens:
    now = datetime.now(UTC)
    access_expires_at = min(now + lifetimes.access, grant.expires_at)
    access_token = await mint_access_token(grant, now, access_expires_at, jkt)
    refresh_token = new_token()
    await connection.execute(
        """INSERT INTO oidc_access_tokens (token_hash, grant_id, expires_at, dpop_jkt)
           VALUES ($1, $2, $3, $4)""",
        token_hash(access_token),
        grant.id,
        access_expires_at,
        jkt,
    )
    await connection.execute(
        "INSERT INTO oidc_refresh_tokens (token_hash, grant_id, expires_at) VALUES ($1, $2, $3)",
        token_hash(refresh_token),
        grant.id,
        grant.expires_at,
    )
    return IssuedTokens(
        grant=grant,
        access_token=access_token,
        access_expires_at=access_expires_at,
        refresh_token=refresh_token,
        nonce=nonce,
        dpop_jkt=jkt,
    )


async def redeem_code(
    pool: asyncpg.Pool,
    *,
    client: Client,
    code: str,
    redirect_uri: str,
    code_verifier: str | None,
    lifetimes: TokenLifetimes,
    mint_access_token: MintAccessToken,
    dpop: DPoPBinding = NO_DPOP,
) -> IssuedTokens:
    """Exchange a code for tokens (RFC 6749 §4.1.3, RFC 7636 §4.6).

    A code presented a second time revokes everything issued from it (RFC 6749 §4.1.2). A code
    bound to a DPoP key (RFC 9449 §10) is redeemed only with a proof by that key.
    """
    if not code or len(code) > MAX_TOKEN_LENGTH:
        raise invalid_grant("unknown authorization code")
    failure: OAuthError | None = None
    async with pool.acquire() as connection, connection.transaction():
        row = await connection.fetchrow(
            f"""SELECT c.redirect_uri, c.code_challenge, c.nonce, c.expires_at, c.used_at,
                       c.dpop_jkt AS code_dpop_jkt, u.status AS user_status, {GRANT_COLUMNS}
                  FROM oidc_authorization_codes c
                  JOIN oidc_grants g ON g.id = c.grant_id
                  JOIN users u ON u.id = g.user_id
                 WHERE c.code_hash = $1
                   FOR UPDATE OF c""",
            token_hash(code),
        )
        if row is None:
            raise invalid_grant("unknown authorization code")
        grant = Grant.from_row(row)
        if grant.client_id != client.client_id:
            # Not this client's code: it learns nothing, and the real owner can still use it.
            raise invalid_grant("the code was issued to another client")
        if row["used_at"] is not None:
            await _revoke_grant(connection, grant.id, "code_reused")
            logger.warning(
                "authorization code reused: grant revoked",
                extra={"client_id": client.client_id, "grant_id": str(grant.id)},
            )
            failure = invalid_grant("the authorization code was already used")
        else:
            failure = _code_problem(row, redirect_uri=redirect_uri, code_verifier=code_verifier)
            if failure is None and row["code_dpop_jkt"] not in (None, dpop.jkt):
                failure = invalid_grant("the code is bound to another DPoP key")
            # Whatever the outcome, the code is spent: a wrong verifier cannot be retried.
            await connection.execute(
                "UPDATE oidc_authorization_codes SET used_at = now() WHERE code_hash = $1",
                token_hash(code),
            )
        if failure is None:
            if dpop.bind_refresh and dpop.jkt:
                await connection.execute(
                    "UPDATE oidc_grants SET dpop_jkt = $2 WHERE id = $1", grant.id, dpop.jkt
                )
            return await _issue_tokens(
                connection, grant, lifetimes, mint_access_token, nonce=row["nonce"], jkt=dpop.jkt
            )
    raise failure


def _code_problem(row: Any, *, redirect_uri: str, code_verifier: str | None) -> OAuthError | None:
    checks = (
        (row["expires_at"] <= datetime.now(UTC), "the authorization code has expired"),
        (row["revoked_at"] is not None, "the authorization code was revoked"),
        (row["user_status"] != "active", "the account cannot sign in"),
        (
            redirect_uri != row["redirect_uri"],
            "redirect_uri differs from the authorization request",
        ),
    )
    for failed, description in checks:
        if failed:
            return invalid_grant(description)
    return _pkce_problem(row["code_challenge"], code_verifier)


def _pkce_problem(challenge: str | None, code_verifier: str | None) -> OAuthError | None:
    if challenge is None:
        # RFC 9700 §2.1.1: a verifier without a challenge is a PKCE downgrade attempt.
        return (
            invalid_grant("code_verifier sent but no code_challenge was") if code_verifier else None
        )
    if not code_verifier:
        return invalid_grant("code_verifier is required")
    if not pkce_matches(code_verifier, challenge):
        return invalid_grant("code_verifier does not match the code_challenge")
    return None


async def refresh(
    pool: asyncpg.Pool,
    *,
    client: Client,
    refresh_token: str,
    requested_scopes: list[str],
    lifetimes: TokenLifetimes,
    mint_access_token: MintAccessToken,
    dpop: DPoPBinding = NO_DPOP,
) -> IssuedTokens:
    """Rotate a refresh token (RFC 9700 §4.14.2): the old one is spent; presenting a spent one
    again revokes the whole family, since one of its two holders is not the client. A public
    client's token bound to a DPoP key needs a proof by that key (RFC 9449 §5)."""
    if not refresh_token or len(refresh_token) > MAX_TOKEN_LENGTH:
        raise invalid_grant("unknown refresh token")
    failure: OAuthError | None = None
    async with pool.acquire() as connection, connection.transaction():
        row = await connection.fetchrow(
            f"""SELECT r.used_at, r.expires_at, u.status AS user_status, {GRANT_COLUMNS}
                  FROM oidc_refresh_tokens r
                  JOIN oidc_grants g ON g.id = r.grant_id
                  JOIN users u ON u.id = g.user_id
                 WHERE r.token_hash = $1
                   FOR UPDATE OF r, g""",
            token_hash(refresh_token),
        )
        if row is None:
            raise invalid_grant("unknown refresh token")
        grant = Grant.from_row(row)
        if grant.client_id != client.client_id:
            raise invalid_grant("the refresh token was issued to another client")
        if row["revoked_at"] is not None:
            raise invalid_grant("the refresh token was revoked")
        if row["used_at"] is not None:
            await _revoke_grant(connection, grant.id, "refresh_token_reused")
            logger.warning(
                "refresh token reused: token family revoked",
                extra={"client_id": client.client_id, "grant_id": str(grant.id)},
            )
            failure = invalid_grant("the refresh token was already used")
        elif row["expires_at"] <= datetime.now(UTC):
            failure = invalid_grant("the refresh token has expired")
        elif row["user_status"] != "active":
            failure = invalid_grant("the account cannot sign in")
        elif not set(requested_scopes) <= set(grant.scopes):
            raise OAuthError("invalid_scope", "a refresh cannot widen the scope")
        elif grant.dpop_jkt is not None and dpop.jkt != grant.dpop_jkt:
            # Not spent: the holder of the key can still use it.
            raise invalid_grant("the refresh token is bound to a DPoP key: prove it")
        else:
            await connection.execute(
                "UPDATE oidc_refresh_tokens SET used_at = now() WHERE token_hash = $1",
                token_hash(refresh_token),
            )
            return await _issue_tokens(
                connection, grant, lifetimes, mint_access_token, jkt=dpop.jkt
            )
    raise failure


async def introspect(pool: asyncpg.Pool, token: str) -> AccessInfo | None:
    """The grant behind an active access token, or None (unknown, expired, revoked, or the
    account is no longer active)."""
    if not token or len(token) > MAX_ACCESS_TOKEN_LENGTH:
        return None
    row = await pool.fetchrow(
        f"""SELECT a.expires_at AS access_expires_at, a.dpop_jkt, {GRANT_COLUMNS}
              FROM oidc_access_tokens a
              JOIN oidc_grants g ON g.id = a.grant_id
              JOIN users u ON u.id = g.user_id
             WHERE a.token_hash = $1 AND a.expires_at > now() AND g.revoked_at IS NULL
               AND u.status = 'active'""",
        token_hash(token),
    )
    if row is None:
        return None
    return AccessInfo(
        grant=Grant.from_row(row), expires_at=row["access_expires_at"], dpop_jkt=row["dpop_jkt"]
    )


async def revoke_token(pool: asyncpg.Pool, *, client: Client, token: str) -> None:
    """RFC 7009: revoking a refresh token ends its grant; an access token just stops working.
    Unknown tokens and tokens of other clients are ignored (the answer is 200 either way)."""
    if not token or len(token) > MAX_ACCESS_TOKEN_LENGTH:
        return
    digest = token_hash(token)
    async with pool.acquire() as connection, connection.transaction():
        grant_id = await connection.fetchval(
            """SELECT g.id FROM oidc_refresh_tokens r JOIN oidc_grants g ON g.id = r.grant_id
                WHERE r.token_hash = $1 AND g.client_id = $2""",
            digest,
            client.client_id,
        )
        if grant_id is not None:
            await _revoke_grant(connection, grant_id, "revoked_by_client")
            return
        await connection.execute(
            """DELETE FROM oidc_access_tokens a USING oidc_grants g
                WHERE a.token_hash = $1 AND g.id = a.grant_id AND g.client_id = $2""",
            digest,
            client.client_id,
        )


# --- consent ------------------------------------------------------------------------------


async def delete_stale(pool: asyncpg.Pool) -> None:
    """Housekeeping: rows that can no longer be used by anyone."""
    await pool.execute("DELETE FROM oidc_authorization_requests WHERE expires_at < now()")
    await pool.execute(
        "DELETE FROM oidc_grants WHERE expires_at < now() - interval '1 day'"
    )  # cascades to codes and tokens
    await pool.execute(
        "DELETE FROM oidc_authorization_codes WHERE expires_at < now() - interval '1 day'"
    )
    await pool.execute("DELETE FROM oidc_access_tokens WHERE expires_at < now()")
    await pool.execute("DELETE FROM eid_states WHERE expires_at < now()")
    await pool.execute("DELETE FROM oidc_used_jtis WHERE expires_at < now()")
    await pool.execute("DELETE FROM oidc_pushed_authorization_requests WHERE expires_at < now()")
    await pool.execute(
        """DELETE FROM oidc_backchannel_logouts
            WHERE (delivered_at IS NOT NULL OR abandoned_at IS NOT NULL)
              AND created_at < now() - interval '7 days'"""
    )
