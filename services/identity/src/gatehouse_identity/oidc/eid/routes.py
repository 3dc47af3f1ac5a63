"""Sign in with eID, and My account → Manage my eIDs (link, unlink).

Linking needs a *fresh* sign-in at least as strong as the strongest level the broker can give:
otherwise someone who only knows a password could attach their own eID to the account and then
sign in at multi-factor level. One upstream subject links to one account only; an account has at
most one link per broker.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
from fastapi import APIRouter, Request
from fastapi.responses import Response

from gatehouse_identity.accounts import service as accounts
from gatehouse_identity.accounts import sessions
from gatehouse_identity.accounts.api import set_session_cookie
from gatehouse_identity.accounts.errors import UserNotFoundError
from gatehouse_identity.accounts.models import UserStatus
from gatehouse_identity.oidc.eid.upstream import UpstreamClient, UpstreamError, UpstreamIdentity
from gatehouse_identity.oidc.levels import LEVELS, Level, satisfies, strongest
from gatehouse_identity.oidc.settings import EidProviderSettings
from gatehouse_identity.oidc.tokens import new_token, pkce_challenge, token_hash
from gatehouse_identity.oidc.web import (
    authenticated_at,
    current_session,
    identity_context,
    login_url,
    message_page,
    origin_of,
    read_form,
    redirect,
    render,
    translator,
)

logger = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
MANAGE_PAGE = "/account/eids"
STATE_TTL = timedelta(minutes=10)
# Ties a broker round trip to the browser that started it (against login CSRF).
BINDING_COOKIE = "__Host-gatehouse_eid"
# RFC 8176 values passed on from the broker; anything else is dropped.
RFC8176_AMR = {
    "face", "fpt", "geo", "hwk", "iris", "kba", "mca", "mfa", "otp", "pin", "pop", "pwd",
    "rba", "retina", "sc", "sms", "swk", "tel", "user", "vbm", "wia",
}  # fmt: skip


def providers(request: Request) -> dict[str, EidProviderSettings]:
    return {p.name: p for p in identity_context(request).settings.eid_providers}


def upstream(request: Request) -> UpstreamClient:
    client: UpstreamClient = request.app.state.eid_upstream
    return client


def callback_uri(request: Request) -> str:
    return identity_context(request).settings.public_url.rstrip("/") + "/eid/callback"


def safe_next(value: str | None, default: str = "/account") -> str:
    """Only a path on this site (no scheme, no host, no '//' or backslash tricks)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    if any(ord(character) < 0x20 for character in value) or len(value) > 2000:
        return default
    return value


def broker_origins(request: Request) -> tuple[str, ...]:
    """Where our eID forms end up after the redirect (CSP form-action covers redirects)."""
    return tuple(origin_of(provider.issuer) for provider in providers(request).values())


def highest_level(provider: EidProviderSettings) -> Level:
    return strongest(*provider.acr_levels.values()) if provider.acr_levels else "password"


def _failure(request: Request, key: str, status_code: int = 400) -> Response:
    t = translator(request)
    return message_page(
        request, title=t("eid.error.title"), message=t(key), status_code=status_code
    )


# --- Manage my eIDs ----------------------------------------------------------------------


@router.get(MANAGE_PAGE)
async def manage(request: Request) -> Response:
    session = await current_session(request)
    if session is None:
        return redirect(login_url(MANAGE_PAGE, "password"))
    rows = await identity_context(request).pool.fetch(
        "SELECT provider, linked_at, last_used_at FROM eid_links WHERE user_id = $1",
        session.user_id,
    )
    links = {row["provider"]: row for row in rows}
    return render(
        request,
        "eids.html",
        {
            "providers": list(providers(request).values()),
            "links": links,
        },
        form_targets=broker_origins(request),
    )


def _is_fresh(request: Request, session: sessions.Session) -> bool:
    age = timedelta(seconds=identity_context(request).settings.eid_link_max_auth_age_s)
    return authenticated_at(session) >= datetime.now(UTC) - age


@router.post(MANAGE_PAGE + "/{name}/link")
async def link(request: Request, name: str) -> Response:
    fields = await read_form(request)
    if fields is None:
        return _failure(request, "error.csrf", 403)
    provider = providers(request).get(name)
    if provider is None:
        return _failure(request, "eid.error.unknown_provider", 404)
    session = await current_session(request)
    needed = highest_level(provider)
    if session is None:
        return redirect(login_url(MANAGE_PAGE, needed))
    fresh = _is_fresh(request, session)
    if not fresh or not satisfies(session.level, needed):
        # Back to this page after proving it again; the user then asks once more.
        level = strongest(needed, _level(session.level))
        return redirect(login_url(MANAGE_PAGE, level, fresh=not fresh))
    return await _start(request, provider, purpose="link", session=session, next_path=MANAGE_PAGE)


def _level(value: str) -> Level:
    for level in LEVELS:
        if level == value:
            return level
    return "password"


@router.post(MANAGE_PAGE + "/{name}/unlink")
async def unlink(request: Request, name: str) -> Response:
    fields = await read_form(request)
    if fields is None:
        return _failure(request, "error.csrf", 403)
    session = await current_session(request)
    if session is None:
        return redirect(login_url(MANAGE_PAGE, "password"))
    await identity_context(request).pool.execute(
        "DELETE FROM eid_links WHERE user_id = $1 AND provider = $2", session.user_id, name
    )
    return redirect(MANAGE_PAGE)


# --- Sign in with eID --------------------------------------------------------------------


@router.get("/eid/login")
async def choose(request: Request) -> Response:
    """Sign in with eID: the configured brokers."""
    return render(
        request,
        "eid_login.html",
        {
            "providers": list(providers(request).values()),
            "next": safe_next(request.query_params.get("next")),
        },
        form_targets=broker_origins(request),
    )


@router.post("/eid/{name}/login")
async def login(request: Request, name: str) -> Response:
    fields = await read_form(request)
    if fields is None:
        return _failure(request, "error.csrf", 403)
    provider = providers(request).get(name)
    if provider is None:
        return _failure(request, "eid.error.unknown_provider", 404)
    return await _start(
        request, provider, purpose="login", session=None, next_path=safe_next(fields.get("next"))
    )


async def _start(
    request: Request,
    provider: EidProviderSettings,
    *,
    purpose: str,
    session: sessions.Session | None,
    next_path: str,
) -> Response:
    state, nonce = new_token(), new_token()
    verifier = secrets.token_urlsafe(48)
    try:
        url = await upstream(request).authorization_url(
            provider,
            redirect_uri=callback_uri(request),
            state=state,
            nonce=nonce,
            code_challenge=pkce_challenge(verifier),
        )
    except UpstreamError:
        return _failure(request, "eid.error.unavailable", 502)
    binding = request.cookies.get(BINDING_COOKIE) or new_token()
    await identity_context(request).pool.execute(
        """INSERT INTO eid_states (state_hash, browser_binding, provider, purpose, user_id,
                                   session_id_hash, nonce, code_verifier, next, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)""",
        token_hash(state),
        token_hash(binding),
        provider.name,
        purpose,
        session.user_id if session else None,
        session.id_hash if session else None,
        nonce,
        verifier,
        next_path,
        datetime.now(UTC) + STATE_TTL,
    )
    response = redirect(url)
    response.set_cookie(
        BINDING_COOKIE,
        binding,
        max_age=int(STATE_TTL.total_seconds()),
        path="/",
        secure=True,
        httponly=True,
        samesite="lax",
    )
    return response


class CallbackError(Exception):
    def __init__(self, key: str, status_code: int = 400) -> None:
        super().__init__(key)
        self.key = key
        self.status_code = status_code


@router.get("/eid/callback")
async def callback(request: Request) -> Response:
    """The broker sends the browser back here with a code (or an error)."""
    try:
        provider, row, identity = await _returning_identity(request)
    except CallbackError as error:
        return _failure(request, error.key, error.status_code)
    level = provider.acr_levels.get(identity.acr or "")
    if level is None:
        # Unknown assurance is never guessed upwards: no session, no link.
        return _failure(request, "eid.error.assurance")
    if row["purpose"] == "link":
        return await _finish_link(request, provider, row, identity.subject)
    return await _finish_login(
        request, provider, row, subject=identity.subject, level=level, upstream_amr=identity.amr
    )


async def _returning_identity(
    request: Request,
) -> tuple[EidProviderSettings, asyncpg.Record, UpstreamIdentity]:
    query = request.query_params
    state = query.get("state", "")
    if not state or len(state) > 200:
        raise CallbackError("eid.error.failed")
    # Deleting the state makes it single-use, whatever happens next.
    row = await identity_context(request).pool.fetchrow(
        """DELETE FROM eid_states WHERE state_hash = $1
           RETURNING browser_binding, provider, purpose, user_id, session_id_hash, nonce,
                     code_verifier, next, expires_at""",
        token_hash(state),
    )
    if row is None or row["expires_at"] <= datetime.now(UTC):
        raise CallbackError("eid.error.failed")
    binding = request.cookies.get(BINDING_COOKIE, "")
    if len(binding) > 100 or not hmac.compare_digest(
        bytes(row["browser_binding"]), token_hash(binding)
    ):
        raise CallbackError("eid.error.failed")
    provider = providers(request).get(row["provider"])
    if provider is None:
        raise CallbackError("eid.error.unknown_provider", 404)
    if query.get("error") or not query.get("code"):
        raise CallbackError("eid.error.cancelled")
    try:
        identity = await upstream(request).exchange(
            provider,
            code=query["code"],
            redirect_uri=callback_uri(request),
            code_verifier=row["code_verifier"],
            nonce=row["nonce"],
        )
    except UpstreamError as error:
        logger.warning("eID sign-in failed", extra={"provider": provider.name, "error": str(error)})
        raise CallbackError("eid.error.failed", 502) from error
    return provider, row, identity


async def _finish_link(
    request: Request, provider: EidProviderSettings, row: asyncpg.Record, subject: str
) -> Response:
    session = await current_session(request)
    # The browser that comes back must still be the session that asked for the link.
    if session is None or session.id_hash != row["session_id_hash"]:
        return _failure(request, "eid.error.failed")
    try:
        await identity_context(request).pool.execute(
            "INSERT INTO eid_links (provider, subject, user_id) VALUES ($1, $2, $3)",
            provider.name,
            subject,
            session.user_id,
        )
    except asyncpg.UniqueViolationError:
        owner = await identity_context(request).pool.fetchval(
            "SELECT user_id FROM eid_links WHERE provider = $1 AND subject = $2",
            provider.name,
            subject,
        )
        if owner == session.user_id:
            return redirect(MANAGE_PAGE)  # already linked to this very account
        key = "eid.error.one_per_provider" if owner is None else "eid.error.already_linked"
        return _failure(request, key, 409)
    return redirect(MANAGE_PAGE)


async def _finish_login(
    request: Request,
    provider: EidProviderSettings,
    row: asyncpg.Record,
    *,
    subject: str,
    level: Level,
    upstream_amr: list[str],
) -> Response:
    context = identity_context(request)
    user_id: uuid.UUID | None = await context.pool.fetchval(
        """UPDATE eid_links SET last_used_at = now() WHERE provider = $1 AND subject = $2
           RETURNING user_id""",
        provider.name,
        subject,
    )
    if user_id is None:
        return _failure(request, "eid.error.not_linked", 403)
    try:
        user = await accounts.get_user(context.pool, user_id=user_id)
    except UserNotFoundError:
        return _failure(request, "eid.error.not_linked", 403)
    if user.status is not UserStatus.ACTIVE:
        return _failure(request, "eid.error.account_unusable", 403)
    amr = [value for value in dict.fromkeys(upstream_amr) if value in RFC8176_AMR]
    if satisfies(level, "multi_factor") and "mfa" not in amr:
        amr.append("mfa")
    new = await sessions.start_session(
        context.pool,
        user_id=user.id,
        amr=amr,
        level=level,
        absolute_timeout=timedelta(seconds=context.settings.session_absolute_timeout_s),
        ip_address=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )
    response = redirect(safe_next(row["next"]))
    set_session_cookie(response, context, new.token)
    return response
