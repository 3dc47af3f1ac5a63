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
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_common.db import Database
from gatehouse_identity.oidc import grant_queries as queries
from gatehouse_identity.oidc.client_models import Client
from gatehouse_identity.oidc.errors import OAuthError, invalid_grant
from gatehouse_identity.oidc.grant_queries import AccessInfo, CodeToRedeem, Grant
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


async def issue_code(
    database: Database,
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
    async with database.transaction() as connection:
        await queries.insert_grant(
            connection,
            grant_id=grant_id,
            client_id=client.client_id,
            user_id=user_id,
            session_id_hash=session_id_hash,
            sid=sid,
            scopes=scopes,
            level=level,
            amr=amr,
            auth_time=auth_time,
            expires_at=grant_expires_at,
        )
        await queries.insert_code(
            connection,
            code_hash=token_hash(code),
            grant_id=grant_id,
            redirect_uri=redirect_uri,
            code_challenge=code_challenge,
            nonce=nonce,
            expires_at=now + lifetimes.code,
            dpop_jkt=dpop_jkt,
        )
    return code


async def _issue_tokens(
    connection: AsyncConnection,
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
    await queries.insert_tokens(
        connection,
        grant_id=grant.id,
        access_token_hash=token_hash(access_token),
        access_expires_at=access_expires_at,
        access_jkt=jkt,
        refresh_token_hash=token_hash(refresh_token),
        refresh_expires_at=grant.expires_at,
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
    database: Database,
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
    code_hash = token_hash(code)
    # The code's row stays locked until this transaction ends: one redemption at a time.
    async with database.transaction() as connection:
        found = await queries.lock_code(connection, code_hash=code_hash)
        if found is None:
            raise invalid_grant("unknown authorization code")
        grant = found.grant
        if grant.client_id != client.client_id:
            # Not this client's code: it learns nothing, and the real owner can still use it.
            raise invalid_grant("the code was issued to another client")
        if found.used:
            await queries.revoke_grant(connection, grant_id=grant.id, reason="code_reused")
            logger.warning(
                "authorization code reused: grant revoked",
                extra={"client_id": client.client_id, "grant_id": str(grant.id)},
            )
            failure = invalid_grant("the authorization code was already used")
        else:
            failure = _code_problem(found, redirect_uri=redirect_uri, code_verifier=code_verifier)
            if failure is None and found.dpop_jkt not in (None, dpop.jkt):
                failure = invalid_grant("the code is bound to another DPoP key")
            # Whatever the outcome, the code is spent: a wrong verifier cannot be retried.
            await queries.spend_code(connection, code_hash=code_hash)
        if failure is None:
            if dpop.bind_refresh and dpop.jkt:
                await queries.bind_grant_to_key(connection, grant_id=grant.id, jkt=dpop.jkt)
            return await _issue_tokens(
                connection, grant, lifetimes, mint_access_token, nonce=found.nonce, jkt=dpop.jkt
            )
    raise failure


def _code_problem(
    found: CodeToRedeem, *, redirect_uri: str, code_verifier: str | None
) -> OAuthError | None:
    checks = (
        (found.expires_at <= datetime.now(UTC), "the authorization code has expired"),
        (found.grant_revoked, "the authorization code was revoked"),
        (found.user_status != "active", "the account cannot sign in"),
        (
            redirect_uri != found.redirect_uri,
            "redirect_uri differs from the authorization request",
        ),
    )
    for failed, description in checks:
        if failed:
            return invalid_grant(description)
    return _pkce_problem(found.code_challenge, code_verifier)


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
    database: Database,
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
    digest = token_hash(refresh_token)
    # The token's and the grant's rows stay locked until this transaction ends.
    async with database.transaction() as connection:
        found = await queries.lock_refresh_token(connection, token_hash=digest)
        if found is None:
            raise invalid_grant("unknown refresh token")
        grant = found.grant
        if grant.client_id != client.client_id:
            raise invalid_grant("the refresh token was issued to another client")
        if found.grant_revoked:
            raise invalid_grant("the refresh token was revoked")
        if found.used:
            await queries.revoke_grant(connection, grant_id=grant.id, reason="refresh_token_reused")
            logger.warning(
                "refresh token reused: token family revoked",
                extra={"client_id": client.client_id, "grant_id": str(grant.id)},
            )
            failure = invalid_grant("the refresh token was already used")
        elif found.expires_at <= datetime.now(UTC):
            failure = invalid_grant("the refresh token has expired")
        elif found.user_status != "active":
            failure = invalid_grant("the account cannot sign in")
        elif not set(requested_scopes) <= set(grant.scopes):
            raise OAuthError("invalid_scope", "a refresh cannot widen the scope")
        elif grant.dpop_jkt is not None and dpop.jkt != grant.dpop_jkt:
            # Not spent: the holder of the key can still use it.
            raise invalid_grant("the refresh token is bound to a DPoP key: prove it")
        else:
            await queries.spend_refresh_token(connection, token_hash=digest)
            return await _issue_tokens(
                connection, grant, lifetimes, mint_access_token, jkt=dpop.jkt
            )
    raise failure


async def introspect(database: Database, token: str) -> AccessInfo | None:
    """The grant behind an active access token, or None (unknown, expired, revoked, or the
    account is no longer active)."""
    if not token or len(token) > MAX_ACCESS_TOKEN_LENGTH:
        return None
    async with database.connection() as connection:
        return await queries.active_access(connection, token_hash=token_hash(token))


async def revoke_token(database: Database, *, client: Client, token: str) -> None:
    """RFC 7009: revoking a refresh token ends its grant; an access token just stops working.
    Unknown tokens and tokens of other clients are ignored (the answer is 200 either way)."""
    if not token or len(token) > MAX_ACCESS_TOKEN_LENGTH:
        return
    digest = token_hash(token)
    async with database.transaction() as connection:
        grant_id = await queries.grant_of_refresh_token(
            connection, token_hash=digest, client_id=client.client_id
        )
        if grant_id is not None:
            await queries.revoke_grant(connection, grant_id=grant_id, reason="revoked_by_client")
            return
        await queries.delete_access_token(connection, token_hash=digest, client_id=client.client_id)


async def delete_stale(database: Database) -> None:
    """Housekeeping: rows that can no longer be used by anyone."""
    async with database.connection() as connection:
        await queries.delete_stale(connection)
