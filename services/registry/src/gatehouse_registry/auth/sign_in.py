"""Signing in through identity and out again: the steps between a browser's arrival and its
session, in plain values (the pages that call them only read and set cookies).

- `start_login`: a single-use state bound to the browser, a nonce and a PKCE verifier, and the
  URL of identity's authorization endpoint asking for the registry's level (acr_values);
- `finish_login`: the answer checked (state, issuer — RFC 9207 —, code exchanged, ID token
  verified, level), the registry's copy of the person refreshed (AuthRuntime.record_sign_in) and a
  session started;
- `log_out`: the session ended, and identity's end-session URL to send the browser on to;
- `end_identity_session`: OpenID Connect Back-Channel Logout.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from gatehouse_registry.auth import sessions
from gatehouse_registry.auth.errors import (
    SecondFactorNotGivenError,
    SecondFactorRequiredError,
    SignInError,
    SignInExpiredError,
    SignInNotCompletedError,
    SignInUnavailableError,
)
from gatehouse_registry.auth.oidc_client import IdentityProviderError
from gatehouse_registry.auth.runtime import AuthRuntime, satisfies

logger = logging.getLogger(__name__)

PKCE_VERIFIER_BYTES = 48


def safe_return_path(value: str | None) -> str:
    """A path on this site only: never an absolute URL, '//host' or a backslash trick."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    if any(ord(character) < 0x20 for character in value) or len(value) > 2000:
        return "/"
    return value


def _pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass(frozen=True)
class LoginStarted:
    """Where to send the browser, and the binding it must keep (a cookie) until it comes back."""

    url: str
    browser_binding: str


async def start_login(
    runtime: AuthRuntime, *, browser_binding: str | None, return_to: str | None
) -> LoginStarted:
    nonce = sessions.new_token()
    verifier = secrets.token_urlsafe(PKCE_VERIFIER_BYTES)
    binding = browser_binding or sessions.new_token()
    state = await sessions.start_login(
        runtime.database,
        browser_binding=binding,
        nonce=nonce,
        code_verifier=verifier,
        return_to=safe_return_path(return_to),
        ttl=timedelta(seconds=runtime.settings.login_state_ttl_s),
    )
    try:
        url = await runtime.identity.authorization_url(
            redirect_uri=runtime.redirect_uri,
            state=state,
            nonce=nonce,
            code_challenge=_pkce_challenge(verifier),
        )
    except IdentityProviderError as error:
        logger.warning("identity unreachable at log in", extra={"error": str(error)})
        raise SignInUnavailableError("identity cannot be reached") from error
    return LoginStarted(url=url, browser_binding=binding)


@dataclass(frozen=True)
class LoginFinished:
    """The new session's cookie value and the page of the registry the person was going to."""

    session_token: str
    return_to: str


async def finish_login(
    runtime: AuthRuntime,
    *,
    state: str,
    browser_binding: str,
    issuer: str | None,
    code: str | None,
    error: str | None,
    previous_session: str,
) -> LoginFinished:
    """Identity's answer at the callback. `previous_session` (the cookie, if any) ends: a new
    sign-in is a new session."""
    pending = await sessions.take_login(runtime.database, state, browser_binding)
    if pending is None:
        raise SignInExpiredError("the log in expired or was used already")
    # RFC 9207: a response naming another issuer is a mix-up attack.
    if issuer not in (None, runtime.identity.issuer):
        raise SignInError("unexpected issuer")
    if error or not code:
        logger.info("sign-in not completed", extra={"error": error})
        if error == "unmet_authentication_requirements":
            raise SecondFactorNotGivenError("identity could not sign in with a second factor")
        raise SignInNotCompletedError("identity answered without a code")
    try:
        signed_in = await runtime.identity.exchange_code(
            code=code,
            redirect_uri=runtime.redirect_uri,
            code_verifier=pending.code_verifier,
            nonce=pending.nonce,
        )
    except IdentityProviderError as failure:
        logger.warning("sign-in rejected", extra={"error": str(failure)})
        raise SignInError("the sign-in could not be verified") from failure
    if not satisfies(signed_in.level, runtime.settings.required_level):
        # Identity steps users up before answering; a weaker token is never accepted.
        raise SecondFactorRequiredError("signed in below the registry's level")
    token = await _start_session(runtime, signed_in.claims, signed_in.id_token, previous_session)
    return LoginFinished(session_token=token, return_to=pending.return_to)


async def _start_session(
    runtime: AuthRuntime, claims: dict[str, Any], id_token: str, previous_session: str
) -> str:
    user_id = uuid.UUID(str(claims["sub"]))
    full_name = str(claims.get("name") or "").strip()
    email = str(claims.get("email") or "")
    if not full_name or not email:
        person = await runtime.grpc.get_user(user_id)
        if person is None:
            raise SignInError("identity does not know the user")
        full_name, email = person.full_name, person.email
    await sessions.delete_stale(runtime.database)
    # The registry's copy of the user follows identity at every sign-in.
    await runtime.record_sign_in(
        runtime.database,
        user_id=user_id,
        full_name=full_name,
        email=email,
        signed_in_at=datetime.now(UTC),
    )
    await sessions.end_session(runtime.database, previous_session)
    amr = claims.get("amr")
    return await sessions.create_session(
        runtime.database,
        user_id=user_id,
        full_name=full_name,
        email=email,
        level=str(claims["acr"]).rsplit(":", 1)[-1],
        amr=[str(value) for value in amr] if isinstance(amr, list) else [],
        identity_sid=str(claims["sid"]) if claims.get("sid") else None,
        id_token=id_token,
        ttl=timedelta(seconds=runtime.settings.session_absolute_timeout_s),
    )


async def log_out(runtime: AuthRuntime, *, session_token: str) -> str | None:
    """End the registry's session; the URL that ends identity's session too, when there was a
    session and identity can be reached."""
    ended = await sessions.end_session(runtime.database, session_token)
    if ended is None:
        return None
    try:
        return await runtime.identity.end_session_url(
            id_token=ended.id_token, post_logout_redirect_uri=runtime.post_logout_redirect_uri
        )
    except IdentityProviderError:
        logger.warning("identity unreachable at log out: registry session ended only")
        return None


async def end_identity_session(runtime: AuthRuntime, *, logout_token: str) -> int:
    """Back-channel logout: the sessions that came from identity's session (`sid`), or all of
    the user's (`sub` alone), end; returns how many. SignInError for a token that is not valid."""
    try:
        claims = await runtime.identity.validate_logout_token(logout_token)
    except IdentityProviderError as error:
        logger.warning("logout token refused", extra={"error": str(error)})
        raise SignInError("not a valid logout token", field="logout_token") from error
    try:
        user_id = uuid.UUID(str(claims["sub"])) if claims.get("sub") else None
    except ValueError:
        user_id = None
    sid = str(claims.get("sid") or "") or None
    if sid is not None:
        # The session's access tokens too (they are verified here, without asking identity).
        await runtime.revocations.revoke_session(
            sid=sid, user_id=user_id, issued_before=datetime.fromtimestamp(claims["iat"], UTC)
        )
    elif user_id is not None:
        await runtime.revocations.revoke_user(
            user_id=user_id, issued_before=datetime.fromtimestamp(claims["iat"], UTC)
        )
    ended = await sessions.end_identity_session(runtime.database, sid=sid, user_id=user_id)
    logger.info("back-channel logout", extra={"sessions_ended": ended})
    return ended
