"""The authorization endpoint: code flow with PKCE, step-up to the client's level, consent.

Order of checks follows RFC 6749 §4.1.2.1: while the client or its redirect URI is in doubt the
error is shown to the user and the browser is never sent anywhere; after that, errors go back to
the client's redirect URI with the standard codes.

The request, once valid, is kept server-side while the browser signs in, steps up or answers the
consent question, and is resumed from `/oidc/authorize/resume?request=<id>`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from gatehouse_identity.accounts import service as accounts
from gatehouse_identity.accounts import sessions
from gatehouse_identity.accounts.errors import UserNotFoundError
from gatehouse_identity.oidc import clients, grants
from gatehouse_identity.oidc.clients import Client
from gatehouse_identity.oidc.levels import Level, level_from_acr_values, satisfies, strongest
from gatehouse_identity.oidc.runtime import OidcRuntime, oidc_runtime
from gatehouse_identity.oidc.tokens import is_valid_pkce_challenge, new_token, session_sid
from gatehouse_identity.oidc.web import (
    authenticated_at,
    current_session,
    leave_site_after_form,
    login_url,
    message_page,
    origin_of,
    read_form,
    redirect,
    render,
    translator,
    with_query,
)

router = APIRouter(include_in_schema=False)

# Sending the browser to sign in more often than this for one request means it cannot reach the
# level (e.g. no second factor): give the client an answer instead of looping.
MAX_LOGIN_REDIRECTS = 3
KNOWN_PROMPTS = {"none", "login", "consent", "select_account"}
MAX_PARAM_LENGTH = 2000
SINGLE_PARAMS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "max_age",
    "acr_values",
    "response_mode",
)


class AuthorizationError(Exception):
    """An error for the client, sent to its (already validated) redirect URI."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


@dataclass(frozen=True)
class PendingRequest:
    id: str
    client: Client
    redirect_uri: str
    scopes: list[str]
    state: str | None
    nonce: str | None
    code_challenge: str | None
    prompt: set[str]
    max_age: int | None
    level: Level
    login_redirects: int
    created_at: datetime

    def params(self) -> dict[str, Any]:
        return {
            "redirect_uri": self.redirect_uri,
            "scopes": self.scopes,
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": self.code_challenge,
            "prompt": sorted(self.prompt),
            "max_age": self.max_age,
            "level": self.level,
        }


def error_redirect(
    runtime: OidcRuntime, *, redirect_uri: str, state: str | None, error: str, description: str
) -> Response:
    return redirect(
        with_query(
            redirect_uri,
            {
                "error": error,
                "error_description": description,
                "state": state,
                "iss": runtime.issuer,
            },
        )
    )


def _error_page(request: Request, description: str) -> HTMLResponse:
    t = translator(request)
    return message_page(
        request,
        title=t("oidc.error.title"),
        message=f"{t('oidc.error.client')} (invalid_request: {description})",
        status_code=400,
    )


@router.api_route("/oidc/authorize", methods=["GET", "POST"])
async def authorize(request: Request) -> Response:
    runtime = oidc_runtime(request)
    if request.method == "POST":
        form = await request.form(max_fields=40, max_files=0)
        items = [(key, value) for key, value in form.multi_items() if isinstance(value, str)]
    else:
        items = list(request.query_params.multi_items())
    params: dict[str, str] = {}
    repeated: set[str] = set()
    for key, value in items:
        if key in params:
            repeated.add(key)
        params[key] = value
    # RFC 6749 §4.1.2.1: without a known client and exact redirect URI, nothing is redirected.
    client_id = params.get("client_id", "")
    if "client_id" in repeated or not client_id:
        return _error_page(request, "client_id is missing or repeated")
    client = await clients.get_client(runtime.context.pool, client_id)
    if client is None:
        return _error_page(request, "unknown client_id")
    redirect_uri = params.get("redirect_uri", "")
    if "redirect_uri" in repeated or redirect_uri not in client.redirect_uris:
        # Exact string match (RFC 9700 §4.1.3): no prefixes, no added paths or parameters.
        return _error_page(request, "redirect_uri is not registered for this client")
    state = params.get("state")
    try:
        pending = _validate(client, params, repeated)
    except AuthorizationError as error:
        return error_redirect(
            runtime,
            redirect_uri=redirect_uri,
            state=state if state and len(state) <= MAX_PARAM_LENGTH else None,
            error=error.error,
            description=error.description,
        )
    await _save(runtime, pending, ttl_s=runtime.context.settings.oidc_authorization_request_ttl_s)
    return await _proceed(request, runtime, pending)


def _validate(client: Client, params: dict[str, str], repeated: set[str]) -> PendingRequest:
    _check_form(params, repeated)
    scopes = _scopes(client, params)
    challenge = _pkce_challenge(client, params)
    prompt, max_age = _prompt_and_max_age(params)
    requested = level_from_acr_values(params.get("acr_values", ""))
    # The client's minimum always holds; acr_values can only ask for more.
    level = strongest(client.min_level, requested) if requested else client.min_level
    return PendingRequest(
        id=new_token(),
        client=client,
        redirect_uri=params["redirect_uri"],
        scopes=scopes,
        state=params.get("state") or None,
        nonce=params.get("nonce") or None,
        code_challenge=challenge,
        prompt=prompt,
        max_age=max_age,
        level=level,
        login_redirects=0,
        created_at=datetime.now(UTC),
    )


def _check_form(params: dict[str, str], repeated: set[str]) -> None:
    duplicated = repeated & set(SINGLE_PARAMS)
    if duplicated:
        raise AuthorizationError("invalid_request", f"repeated parameter: {min(duplicated)}")
    for key in SINGLE_PARAMS:
        if len(params.get(key, "")) > MAX_PARAM_LENGTH:
            raise AuthorizationError("invalid_request", f"{key} is too long")
    if "request" in params:
        raise AuthorizationError("request_not_supported", "request objects are not supported")
    if "request_uri" in params:
        raise AuthorizationError("request_uri_not_supported", "request_uri is not supported")
    if params.get("response_mode", "query") != "query":
        raise AuthorizationError("invalid_request", "only response_mode=query is supported")
    if params.get("response_type") != "code":
        raise AuthorizationError("unsupported_response_type", "only response_type=code")


def _scopes(client: Client, params: dict[str, str]) -> list[str]:
    scopes = list(dict.fromkeys(params.get("scope", "").split()))
    if "openid" not in scopes:
        raise AuthorizationError("invalid_scope", "the openid scope is required")
    unknown = [scope for scope in scopes if scope not in client.scopes]
    if unknown:
        raise AuthorizationError("invalid_scope", f"scope not allowed: {unknown[0]}")
    return scopes


def _pkce_challenge(client: Client, params: dict[str, str]) -> str | None:
    challenge = params.get("code_challenge") or None
    method = params.get("code_challenge_method")
    if challenge is None:
        if method:
            raise AuthorizationError("invalid_request", "code_challenge_method without challenge")
        if client.public:
            raise AuthorizationError("invalid_request", "PKCE (code_challenge, S256) is required")
        return None
    # "plain" offers no protection if the request leaks (RFC 9700 §2.1.1): S256 only.
    if method != "S256":
        raise AuthorizationError("invalid_request", "code_challenge_method must be S256")
    if not is_valid_pkce_challenge(challenge):
        raise AuthorizationError("invalid_request", "code_challenge is malformed")
    return challenge


def _prompt_and_max_age(params: dict[str, str]) -> tuple[set[str], int | None]:
    prompt = set(params.get("prompt", "").split())
    if prompt - KNOWN_PROMPTS:
        raise AuthorizationError("invalid_request", "unknown prompt value")
    if "none" in prompt and len(prompt) > 1:
        raise AuthorizationError("invalid_request", "prompt=none cannot be combined")
    raw = params.get("max_age")
    if not raw:
        return prompt, None
    if not raw.isdigit() or len(raw) > 9:
        raise AuthorizationError("invalid_request", "max_age must be a number of seconds")
    return prompt, int(raw)


async def _save(runtime: OidcRuntime, pending: PendingRequest, *, ttl_s: int) -> None:
    await runtime.context.pool.execute(
        """INSERT INTO oidc_authorization_requests (id, client_id, params, created_at, expires_at)
           VALUES ($1, $2, $3, $4, $5)""",
        pending.id,
        pending.client.client_id,
        pending.params(),
        pending.created_at,
        pending.created_at + timedelta(seconds=ttl_s),
    )


async def _load(runtime: OidcRuntime, request_id: str) -> PendingRequest | None:
    if not request_id or len(request_id) > 100:
        return None
    row = await runtime.context.pool.fetchrow(
        """SELECT id, client_id, params, login_redirects, created_at
             FROM oidc_authorization_requests WHERE id = $1 AND expires_at > now()""",
        request_id,
    )
    if row is None:
        return None
    client = await clients.get_client(runtime.context.pool, row["client_id"])
    params = row["params"]
    if client is None or params["redirect_uri"] not in client.redirect_uris:
        return None  # the client changed meanwhile
    return PendingRequest(
        id=row["id"],
        client=client,
        redirect_uri=params["redirect_uri"],
        scopes=params["scopes"],
        state=params["state"],
        nonce=params["nonce"],
        code_challenge=params["code_challenge"],
        prompt=set(params["prompt"]),
        max_age=params["max_age"],
        # The client's minimum as it is now, in case it was raised meanwhile.
        level=strongest(client.min_level, params["level"]),
        login_redirects=row["login_redirects"],
        created_at=row["created_at"],
    )


def resume_path(pending: PendingRequest) -> str:
    return f"/oidc/authorize/resume?request={pending.id}"


def _fresh_enough(pending: PendingRequest, session: sessions.Session) -> bool:
    """prompt=login and max_age (OIDC Core 3.1.2.1): the user must have proved who they are
    after the request came, or within max_age."""
    proved = authenticated_at(session)
    if "login" in pending.prompt and proved < pending.created_at:
        return False
    if pending.max_age is not None:
        return proved >= datetime.now(UTC) - timedelta(seconds=pending.max_age)
    return True


def _fail(runtime: OidcRuntime, pending: PendingRequest, error: str, description: str) -> Response:
    return error_redirect(
        runtime,
        redirect_uri=pending.redirect_uri,
        state=pending.state,
        error=error,
        description=description,
    )


async def _proceed(request: Request, runtime: OidcRuntime, pending: PendingRequest) -> Response:
    """Take the request as far as the browser's session allows: sign-in, step-up, consent,
    and finally the code."""
    session = await current_session(request)
    if (
        session is None
        or not _fresh_enough(pending, session)
        or not satisfies(session.level, pending.level)
    ):
        return await _sign_in_first(runtime, pending, session)
    try:
        user = await accounts.get_user(runtime.context.pool, user_id=session.user_id)
    except UserNotFoundError:
        return _fail(runtime, pending, "login_required", "the user must sign in")
    if await _needs_consent(runtime, pending, user.id):
        if "none" in pending.prompt:
            return _fail(runtime, pending, "consent_required", "the user must approve")
        return render(
            request,
            "consent.html",
            {"pending": pending, "client": pending.client, "user": user},
            form_targets=(origin_of(pending.redirect_uri),),
        )
    return await _issue(runtime, pending, session)


async def _sign_in_first(
    runtime: OidcRuntime, pending: PendingRequest, session: sessions.Session | None
) -> Response:
    """Send the browser to sign in (or step up), or tell the client why that cannot happen.
    The level is never lowered: a weaker session gets no code at all."""
    signed_in = session is not None and _fresh_enough(pending, session)
    if "none" in pending.prompt:
        if not signed_in:
            return _fail(runtime, pending, "login_required", "the user must sign in")
        return _fail(runtime, pending, "interaction_required", f"sign-in at {pending.level}")
    if pending.login_redirects >= MAX_LOGIN_REDIRECTS:
        await _forget(runtime, pending)
        if not signed_in:
            return _fail(runtime, pending, "login_required", "the user did not sign in")
        return _fail(
            runtime,
            pending,
            "unmet_authentication_requirements",
            f"the user could not sign in at the level {pending.level}",
        )
    await runtime.context.pool.execute(
        "UPDATE oidc_authorization_requests SET login_redirects = login_redirects + 1"
        " WHERE id = $1",
        pending.id,
    )
    # Signed in but too long ago for prompt=login / max_age: prove it again.
    stale = session is not None and not signed_in
    return redirect(login_url(resume_path(pending), pending.level, fresh=stale))


async def _needs_consent(runtime: OidcRuntime, pending: PendingRequest, user_id: uuid.UUID) -> bool:
    pool = runtime.context.pool
    if "consent" in pending.prompt or await grants.warn_each_time(pool, user_id=user_id):
        return True
    if pending.client.first_party:
        return False
    return not await grants.has_consent(
        pool, user_id=user_id, client_id=pending.client.client_id, scopes=pending.scopes
    )


async def _issue(
    runtime: OidcRuntime, pending: PendingRequest, session: sessions.Session
) -> Response:
    if not await _forget(runtime, pending):
        # Another tab finished this request first; one request gives one code.
        return error_redirect(
            runtime,
            redirect_uri=pending.redirect_uri,
            state=pending.state,
            error="invalid_request",
            description="this authorization request was already answered",
        )
    code = await grants.issue_code(
        runtime.context.pool,
        client=pending.client,
        user_id=session.user_id,
        session_id_hash=session.id_hash,
        session_expires_at=session.expires_at,
        sid=session_sid(session.id_hash),
        scopes=pending.scopes,
        level=session.level,
        amr=session.amr,
        auth_time=authenticated_at(session),
        redirect_uri=pending.redirect_uri,
        code_challenge=pending.code_challenge,
        nonce=pending.nonce,
        lifetimes=runtime.lifetimes,
    )
    return redirect(
        with_query(
            pending.redirect_uri, {"code": code, "state": pending.state, "iss": runtime.issuer}
        )
    )


async def _forget(runtime: OidcRuntime, pending: PendingRequest) -> bool:
    deleted = await runtime.context.pool.fetchval(
        "DELETE FROM oidc_authorization_requests WHERE id = $1 RETURNING id", pending.id
    )
    return deleted is not None


def _expired_page(request: Request) -> HTMLResponse:
    t = translator(request)
    return message_page(
        request,
        title=t("oidc.error.title"),
        message=t("oidc.error.request_expired"),
        status_code=400,
    )


@router.get("/oidc/authorize/resume")
async def resume(
    request: Request, pending_id: Annotated[str, Query(alias="request")] = ""
) -> Response:
    runtime = oidc_runtime(request)
    pending = await _load(runtime, pending_id)
    if pending is None:
        return _expired_page(request)
    # Reached after a sign-in or step-up form: leave for the client through a page.
    return leave_site_after_form(request, await _proceed(request, runtime, pending))


@router.post("/oidc/authorize/consent")
async def consent(request: Request) -> Response:
    runtime = oidc_runtime(request)
    fields = await read_form(request)
    if fields is None:
        t = translator(request)
        return message_page(
            request, title=t("error.title"), message=t("error.csrf"), status_code=403
        )
    pending = await _load(runtime, fields.get("request", ""))
    if pending is None:
        return _expired_page(request)
    session = await current_session(request)
    if session is None or not satisfies(session.level, pending.level):
        return await _proceed(request, runtime, pending)
    if fields.get("decision") != "allow":
        await _forget(runtime, pending)
        return error_redirect(
            runtime,
            redirect_uri=pending.redirect_uri,
            state=pending.state,
            error="access_denied",
            description="the user declined",
        )
    await grants.record_consent(
        runtime.context.pool,
        user_id=session.user_id,
        client_id=pending.client.client_id,
        scopes=pending.scopes,
    )
    return await _issue(runtime, pending, session)
