"""The authorization endpoint's flow: code flow with PKCE, step-up to the client's level,
consent. Each step answers with an `Outcome` the page turns into a response — the rules stay
here, the page only translates.

A request, once valid, is kept (authorization_requests.py) while the browser signs in, steps up
or answers the consent question, and is resumed from `/oidc/authorize/resume?request=<id>`.
A code is never issued for a session weaker than the client's level.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from gatehouse_identity.accounts import service as accounts
from gatehouse_identity.accounts.errors import UserNotFoundError
from gatehouse_identity.accounts.models import User
from gatehouse_identity.levels import level_satisfies
from gatehouse_identity.oidc import authorization_requests as requests
from gatehouse_identity.oidc import clients, consents, grants, par
from gatehouse_identity.oidc.authorization_requests import (
    AuthorizationError,
    PendingRequest,
    UntrustedRequestError,
)
from gatehouse_identity.oidc.client_models import Client
from gatehouse_identity.oidc.runtime import OidcRuntime
from gatehouse_identity.oidc.tokens import session_sid
from gatehouse_identity.oidc.urls import with_query
from gatehouse_identity.sessions.models import Session

# Sending the browser to sign in more often than this for one request means it cannot reach the
# level (e.g. no second factor): give the client an answer instead of looping.
MAX_LOGIN_REDIRECTS = 3


@dataclass(frozen=True)
class Refused:
    """The client or its redirect URI is in doubt: say so on our page, send nobody anywhere."""

    description: str


@dataclass(frozen=True)
class Expired:
    """The kept request expired, was answered in another tab, or its client changed."""


@dataclass(frozen=True)
class ToClient:
    """Back to the client's redirect URI: with a code, or with an error."""

    url: str


@dataclass(frozen=True)
class SignInFirst:
    """Sign in (or step up to `level`, proving it again when `fresh`), then come back."""

    resume_path: str
    level: str
    fresh: bool


@dataclass(frozen=True)
class AskConsent:
    pending: PendingRequest
    user: User


Outcome = Refused | Expired | ToClient | SignInFirst | AskConsent


async def authorize(
    runtime: OidcRuntime, *, items: list[tuple[str, str]], session: Session | None
) -> Outcome:
    """A new authorization request, taken as far as the browser's session allows."""
    params, repeated = requests.read_params(items)
    client_id = params.get("client_id", "")
    if "client_id" in repeated or not client_id:
        return Refused("client_id is missing or repeated")
    client = await clients.get_client(runtime.context.database, client_id)
    if client is not None and "request_uri" in params:
        return await _pushed(runtime, client, params, repeated, session)
    try:
        redirect_uri = requests.client_redirect_uri(client, params, repeated)
    except UntrustedRequestError as error:
        return Refused(error.description)
    assert client is not None  # noqa: S101  (client_redirect_uri refuses None)
    try:
        pending = requests.validate(client, params, repeated)
    except AuthorizationError as error:
        state = params.get("state")
        return _error(
            runtime,
            redirect_uri=redirect_uri,
            state=state if state and len(state) <= requests.MAX_PARAM_LENGTH else None,
            error=error.error,
            description=error.description,
        )
    ttl_s = runtime.context.settings.oidc_authorization_request_ttl_s
    await requests.save(runtime.context.database, pending, ttl_s=ttl_s)
    return await _proceed(runtime, pending, session)


async def _pushed(
    runtime: OidcRuntime,
    client: Client,
    params: dict[str, str],
    repeated: set[str],
    session: Session | None,
) -> Outcome:
    """A request pushed beforehand (RFC 9126 §4): only its request_uri and client_id count; the
    rest of the query is ignored. An unusable request_uri is refused on our page: without the
    pushed parameters no redirect URI is beyond doubt."""
    if "request_uri" in repeated:
        return Refused("request_uri is repeated")
    pushed = await par.pull(
        runtime.context.database, client_id=client.client_id, request_uri=params["request_uri"]
    )
    pending = requests.from_pushed(client, pushed) if pushed is not None else None
    if pending is None:
        return Refused("the request_uri is unknown, expired or already used")
    await requests.save(
        runtime.context.database,
        pending,
        ttl_s=runtime.context.settings.oidc_authorization_request_ttl_s,
    )
    return await _proceed(runtime, pending, session)


async def resume(runtime: OidcRuntime, *, request_id: str, session: Session | None) -> Outcome:
    """Back from signing in or stepping up."""
    pending = await _kept(runtime, request_id)
    if pending is None:
        return Expired()
    return await _proceed(runtime, pending, session)


async def answer_consent(
    runtime: OidcRuntime, *, request_id: str, session: Session | None, allow: bool
) -> Outcome:
    pending = await _kept(runtime, request_id)
    if pending is None:
        return Expired()
    if session is None or not level_satisfies(session.level, pending.level):
        return await _proceed(runtime, pending, session)
    if not allow:
        await requests.forget(runtime.context.database, pending)
        return _fail(runtime, pending, "access_denied", "the user declined")
    await consents.record_consent(
        runtime.context.database,
        user_id=session.user_id,
        client_id=pending.client.client_id,
        scopes=pending.scopes,
    )
    return await _issue(runtime, pending, session)


async def _kept(runtime: OidcRuntime, request_id: str) -> PendingRequest | None:
    """A kept request, still valid for its client as that is now; None when expired or gone."""
    kept = await requests.load(runtime.context.database, request_id)
    if kept is None:
        return None
    client = await clients.get_client(runtime.context.database, kept.client_id)
    return requests.resumed(kept, client)


def resume_path(pending: PendingRequest) -> str:
    return f"/oidc/authorize/resume?request={pending.id}"


def _error(
    runtime: OidcRuntime, *, redirect_uri: str, state: str | None, error: str, description: str
) -> ToClient:
    params = {"error": error, "error_description": description, "state": state}
    return ToClient(with_query(redirect_uri, params | {"iss": runtime.issuer}))


def _fail(runtime: OidcRuntime, pending: PendingRequest, error: str, description: str) -> ToClient:
    return _error(
        runtime,
        redirect_uri=pending.redirect_uri,
        state=pending.state,
        error=error,
        description=description,
    )


def _fresh_enough(pending: PendingRequest, session: Session) -> bool:
    """prompt=login and max_age (OIDC Core 3.1.2.1): the user must have proved who they are
    after the request came, or within max_age."""
    proved = session.authenticated_at
    if "login" in pending.prompt and proved < pending.created_at:
        return False
    if pending.max_age is not None:
        return proved >= datetime.now(UTC) - timedelta(seconds=pending.max_age)
    return True


async def _proceed(
    runtime: OidcRuntime, pending: PendingRequest, session: Session | None
) -> Outcome:
    """Take the request as far as the browser's session allows: sign-in, step-up, consent,
    and finally the code."""
    if (
        session is None
        or not _fresh_enough(pending, session)
        or not level_satisfies(session.level, pending.level)
    ):
        return await _sign_in_first(runtime, pending, session)
    try:
        user = await accounts.get_user(runtime.context.database, user_id=session.user_id)
    except UserNotFoundError:
        return _fail(runtime, pending, "login_required", "the user must sign in")
    if await _needs_consent(runtime, pending, user):
        if "none" in pending.prompt:
            return _fail(runtime, pending, "consent_required", "the user must approve")
        return AskConsent(pending=pending, user=user)
    return await _issue(runtime, pending, session)


async def _sign_in_first(
    runtime: OidcRuntime, pending: PendingRequest, session: Session | None
) -> Outcome:
    """Send the browser to sign in (or step up), or tell the client why that cannot happen.
    The level is never lowered: a weaker session gets no code at all."""
    signed_in = session is not None and _fresh_enough(pending, session)
    if "none" in pending.prompt:
        if not signed_in:
            return _fail(runtime, pending, "login_required", "the user must sign in")
        return _fail(runtime, pending, "interaction_required", f"sign-in at {pending.level}")
    database = runtime.context.database
    if pending.login_redirects >= MAX_LOGIN_REDIRECTS:
        await requests.forget(database, pending)
        if not signed_in:
            return _fail(runtime, pending, "login_required", "the user did not sign in")
        return _fail(
            runtime,
            pending,
            "unmet_authentication_requirements",
            f"the user could not sign in at the level {pending.level}",
        )
    await requests.count_login_redirect(database, pending)
    # Signed in but too long ago for prompt=login / max_age: prove it again.
    stale = session is not None and not signed_in
    return SignInFirst(resume_path=resume_path(pending), level=pending.level, fresh=stale)


async def _needs_consent(runtime: OidcRuntime, pending: PendingRequest, user: User) -> bool:
    database = runtime.context.database
    if "consent" in pending.prompt or await consents.warn_each_time(database, user_id=user.id):
        return True
    if pending.client.first_party:
        return False
    return not await consents.has_consent(
        database, user_id=user.id, client_id=pending.client.client_id, scopes=pending.scopes
    )


async def _issue(runtime: OidcRuntime, pending: PendingRequest, session: Session) -> Outcome:
    if not await requests.forget(runtime.context.database, pending):
        # Another tab finished this request first; one request gives one code.
        return _fail(
            runtime, pending, "invalid_request", "this authorization request was already answered"
        )
    code = await grants.issue_code(
        runtime.context.database,
        client=pending.client,
        user_id=session.user_id,
        session_id_hash=session.id_hash,
        session_expires_at=session.expires_at,
        sid=session_sid(session.id_hash),
        scopes=pending.scopes,
        level=session.level,
        amr=session.amr,
        auth_time=session.authenticated_at,
        redirect_uri=pending.redirect_uri,
        code_challenge=pending.code_challenge,
        nonce=pending.nonce,
        lifetimes=runtime.lifetimes,
        dpop_jkt=pending.dpop_jkt,
    )
    params = {"code": code, "state": pending.state, "iss": runtime.issuer}
    return ToClient(with_query(pending.redirect_uri, params))
