"""Sign in with eID, and linking an eID to an account (identity as a client of an upstream
broker: upstream.py does the protocol).

Linking needs a *fresh* sign-in at least as strong as the strongest level the broker can give:
otherwise someone who only knows a password could attach their own eID to the account and then
sign in at multi-factor level. One upstream subject links to one account only; an account has
at most one link per broker. Each round trip's `state` is single use, expires, and is bound to
the browser that started it (a cookie the page sets), against login CSRF.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import exc

from gatehouse_common.db import Database, violated_unique_constraint
from gatehouse_identity.accounts import service as accounts
from gatehouse_identity.accounts.errors import UserNotFoundError
from gatehouse_identity.accounts.models import UserStatus
from gatehouse_identity.levels import Level, as_level, level_satisfies, strongest
from gatehouse_identity.oidc.eid import queries
from gatehouse_identity.oidc.eid.errors import (
    EidAccountUnusableError,
    EidAlreadyLinkedError,
    EidAssuranceUnknownError,
    EidBrokerAnswerError,
    EidCancelledError,
    EidFailedError,
    EidNotLinkedError,
    EidOnePerProviderError,
    EidUnavailableError,
    EidUnknownProviderError,
)
from gatehouse_identity.oidc.eid.queries import EidLink, EidState
from gatehouse_identity.oidc.eid.upstream import UpstreamClient, UpstreamError
from gatehouse_identity.oidc.tokens import new_token, pkce_challenge, token_hash
from gatehouse_identity.sessions import service as sessions
from gatehouse_identity.sessions.models import NewSession, Session
from gatehouse_identity.settings import EidProviderSettings, IdentitySettings

logger = logging.getLogger(__name__)
STATE_TTL = timedelta(minutes=10)
MAX_STATE_LENGTH = 200
MAX_BINDING_LENGTH = 100
# RFC 8176 values passed on from the broker; anything else is dropped.
RFC8176_AMR = {
    "face", "fpt", "geo", "hwk", "iris", "kba", "mca", "mfa", "otp", "pin", "pop", "pwd",
    "rba", "retina", "sc", "sms", "swk", "tel", "user", "vbm", "wia",
}  # fmt: skip


@dataclass(frozen=True)
class Started:
    """Off to the broker: `url`, with the browser bound to this round trip by `binding`."""

    url: str
    binding: str


@dataclass(frozen=True)
class StepUpFirst:
    """Linking needs a fresher or stronger sign-in first."""

    level: Level
    fresh: bool


@dataclass(frozen=True)
class Linked:
    """The eID is linked (or already was, to this very account)."""


@dataclass(frozen=True)
class SignedIn:
    new: NewSession
    next_path: str


def provider_of(settings: IdentitySettings, name: str) -> EidProviderSettings:
    for provider in settings.eid_providers:
        if provider.name == name:
            return provider
    raise EidUnknownProviderError(f"no eID provider {name!r}", field="provider")


def highest_level(provider: EidProviderSettings) -> Level:
    return strongest(*provider.acr_levels.values()) if provider.acr_levels else "password"


async def links_of(database: Database, *, user_id: uuid.UUID) -> dict[str, EidLink]:
    async with database.connection() as connection:
        return {link.provider: link for link in await queries.links_of(connection, user_id=user_id)}


async def unlink(database: Database, *, user_id: uuid.UUID, provider: str) -> None:
    async with database.connection() as connection:
        await queries.delete_link(connection, user_id=user_id, provider=provider)


async def start_link(
    database: Database,
    upstream: UpstreamClient,
    *,
    settings: IdentitySettings,
    provider_name: str,
    session: Session,
    binding: str | None,
    next_path: str,
) -> Started | StepUpFirst:
    """Off to the broker to link, or first a fresher/stronger sign-in."""
    provider = provider_of(settings, provider_name)
    needed = highest_level(provider)
    age = timedelta(seconds=settings.eid_link_max_auth_age_s)
    fresh = session.authenticated_at >= datetime.now(UTC) - age
    if not fresh or not level_satisfies(session.level, needed):
        # Back to the page after proving it again; the user then asks once more.
        return StepUpFirst(
            level=strongest(needed, as_level(session.level) or "password"), fresh=not fresh
        )
    return await _start(
        database,
        upstream,
        settings=settings,
        provider=provider,
        purpose="link",
        session=session,
        binding=binding,
        next_path=next_path,
    )


async def start_login(
    database: Database,
    upstream: UpstreamClient,
    *,
    settings: IdentitySettings,
    provider_name: str,
    binding: str | None,
    next_path: str,
) -> Started:
    return await _start(
        database,
        upstream,
        settings=settings,
        provider=provider_of(settings, provider_name),
        purpose="login",
        session=None,
        binding=binding,
        next_path=next_path,
    )


def callback_uri(settings: IdentitySettings) -> str:
    return settings.public_url.rstrip("/") + "/eid/callback"


async def _start(
    database: Database,
    upstream: UpstreamClient,
    *,
    settings: IdentitySettings,
    provider: EidProviderSettings,
    purpose: str,
    session: Session | None,
    binding: str | None,
    next_path: str,
) -> Started:
    state, nonce = new_token(), new_token()
    verifier = secrets.token_urlsafe(48)
    try:
        url = await upstream.authorization_url(
            provider,
            redirect_uri=callback_uri(settings),
            state=state,
            nonce=nonce,
            code_challenge=pkce_challenge(verifier),
        )
    except UpstreamError as error:
        raise EidUnavailableError(f"the broker cannot be reached: {error}") from error
    binding = binding or new_token()
    kept = EidState(
        browser_binding=token_hash(binding),
        provider=provider.name,
        purpose=purpose,
        user_id=session.user_id if session else None,
        session_id_hash=session.id_hash if session else None,
        nonce=nonce,
        code_verifier=verifier,
        next_path=next_path,
        expires_at=datetime.now(UTC) + STATE_TTL,
    )
    async with database.connection() as connection:
        await queries.insert_state(connection, state_hash=token_hash(state), state=kept)
    return Started(url=url, binding=binding)


@dataclass(frozen=True)
class _Returning:
    provider: EidProviderSettings
    purpose: str
    session_id_hash: bytes | None
    next_path: str
    subject: str
    level: Level
    amr: list[str]


async def complete(
    database: Database,
    upstream: UpstreamClient,
    *,
    settings: IdentitySettings,
    query: dict[str, str],
    binding: str,
    session: Session | None,
    address: str | None,
    user_agent: str | None,
) -> Linked | SignedIn:
    """The broker sent the browser back (with a code, or an error): link the eID to the
    session that asked, or sign in the account it is linked to."""
    returning = await _returning(
        database, upstream, settings=settings, query=query, binding=binding
    )
    if returning.purpose == "link":
        # The browser that comes back must still be the session that asked for the link.
        if session is None or session.id_hash != returning.session_id_hash:
            raise EidFailedError("the session that asked for the link is gone")
        await _link(
            database,
            provider=returning.provider,
            subject=returning.subject,
            user_id=session.user_id,
        )
        return Linked()
    return await _sign_in(
        database, settings=settings, returning=returning, address=address, user_agent=user_agent
    )


async def _returning(
    database: Database,
    upstream: UpstreamClient,
    *,
    settings: IdentitySettings,
    query: dict[str, str],
    binding: str,
) -> _Returning:
    state = query.get("state", "")
    if not state or len(state) > MAX_STATE_LENGTH:
        raise EidFailedError("no usable state")
    # Deleting the state makes it single-use, whatever happens next.
    async with database.connection() as connection:
        kept = await queries.take_state(connection, state_hash=token_hash(state))
    if kept is None or kept.expires_at <= datetime.now(UTC):
        raise EidFailedError("unknown, used or expired state")
    if len(binding) > MAX_BINDING_LENGTH or not hmac.compare_digest(
        kept.browser_binding, token_hash(binding)
    ):
        raise EidFailedError("the state belongs to another browser")
    provider = provider_of(settings, kept.provider)
    if query.get("error") or not query.get("code"):
        raise EidCancelledError("the broker answered without a code")
    try:
        identity = await upstream.exchange(
            provider,
            code=query["code"],
            redirect_uri=callback_uri(settings),
            code_verifier=kept.code_verifier,
            nonce=kept.nonce,
        )
    except UpstreamError as error:
        logger.warning("eID sign-in failed", extra={"provider": provider.name, "error": str(error)})
        raise EidBrokerAnswerError(f"the broker's answer could not be used: {error}") from error
    level = provider.acr_levels.get(identity.acr or "")
    if level is None:
        # Unknown assurance is never guessed upwards: no session, no link.
        raise EidAssuranceUnknownError(f"unmapped acr {identity.acr!r}")
    return _Returning(
        provider=provider,
        purpose=kept.purpose,
        session_id_hash=kept.session_id_hash,
        next_path=kept.next_path,
        subject=identity.subject,
        level=level,
        amr=identity.amr,
    )


async def _link(
    database: Database, *, provider: EidProviderSettings, subject: str, user_id: uuid.UUID
) -> None:
    try:
        async with database.connection() as connection:
            await queries.insert_link(
                connection, provider=provider.name, subject=subject, user_id=user_id
            )
    except exc.IntegrityError as error:
        if violated_unique_constraint(error) is None:
            raise
        async with database.connection() as connection:
            owner = await queries.owner_of(connection, provider=provider.name, subject=subject)
        if owner == user_id:
            return  # already linked to this very account
        if owner is None:
            raise EidOnePerProviderError("the account has another eID of this kind") from error
        raise EidAlreadyLinkedError("the eID is linked to another account") from error


async def _sign_in(
    database: Database,
    *,
    settings: IdentitySettings,
    returning: _Returning,
    address: str | None,
    user_agent: str | None,
) -> SignedIn:
    async with database.connection() as connection:
        user_id = await queries.use_link(
            connection, provider=returning.provider.name, subject=returning.subject
        )
    if user_id is None:
        raise EidNotLinkedError("no account is linked to this eID")
    try:
        user = await accounts.get_user(database, user_id=user_id)
    except UserNotFoundError as error:
        raise EidNotLinkedError("no account is linked to this eID") from error
    if user.status is not UserStatus.ACTIVE:
        raise EidAccountUnusableError("the account cannot sign in")
    amr = [value for value in dict.fromkeys(returning.amr) if value in RFC8176_AMR]
    if level_satisfies(returning.level, "multi_factor") and "mfa" not in amr:
        amr.append("mfa")
    new = await sessions.start_session(
        database,
        user_id=user.id,
        amr=amr,
        level=returning.level,
        absolute_timeout=timedelta(seconds=settings.session_absolute_timeout_s),
        ip_address=address,
        user_agent=user_agent,
    )
    return SignedIn(new=new, next_path=returning.next_path)
