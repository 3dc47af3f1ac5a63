"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0).

`post_logout_redirect_uri` must equal one the client registered, and the client must be known
(from `id_token_hint` or `client_id`); anything else is refused on a page of our own, so the
endpoint can never send a browser to an address an attacker chose. Without a hint naming the
current session the user is asked to confirm, so a third-party page cannot sign people out.

The rules are here; the page (web/oidc_pages.py) translates. Ending the session revokes its
grants and queues back-channel logout tokens (database trigger, see migration 0004 and
backchannel.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from joserfc.errors import JoseError

from gatehouse_identity.oidc import clients
from gatehouse_identity.oidc.client_models import Client
from gatehouse_identity.oidc.runtime import OidcRuntime
from gatehouse_identity.oidc.tokens import session_sid
from gatehouse_identity.oidc.urls import with_query
from gatehouse_identity.sessions import service as sessions
from gatehouse_identity.sessions.models import Session

LOGOUT_PARAMS = ("id_token_hint", "post_logout_redirect_uri", "state", "client_id")


class LogoutRequestError(Exception):
    pass


async def _hint_claims(runtime: OidcRuntime, hint: str) -> dict[str, Any]:
    """Claims of an ID token we issued (expired ones too: that is the usual case here)."""
    if len(hint) > 8000:
        raise LogoutRequestError("id_token_hint is too long")
    try:
        token = await runtime.keys.decode(hint)
    except (JoseError, ValueError) as error:
        raise LogoutRequestError("id_token_hint is not an ID token from this provider") from error
    claims = dict(token.claims)
    if claims.get("iss") != runtime.issuer:
        raise LogoutRequestError("id_token_hint was issued by another provider")
    return claims


async def validate(
    runtime: OidcRuntime, params: dict[str, str]
) -> tuple[Client | None, dict[str, Any] | None, str | None]:
    claims = (
        await _hint_claims(runtime, params["id_token_hint"])
        if params.get("id_token_hint")
        else None
    )
    client_id = params.get("client_id") or None
    if claims is not None:
        audience = claims.get("aud")
        hinted = audience if isinstance(audience, str) else None
        if isinstance(audience, list) and len(audience) == 1:
            hinted = audience[0]
        if client_id and hinted != client_id:
            raise LogoutRequestError("client_id differs from the id_token_hint audience")
        client_id = hinted
    client = await clients.get_client(runtime.context.database, client_id) if client_id else None
    if client_id and client is None:
        raise LogoutRequestError("unknown client")
    target = params.get("post_logout_redirect_uri") or None
    if target is not None and (client is None or target not in client.post_logout_redirect_uris):
        # Exact match only: anything else would make this an open redirector.
        raise LogoutRequestError("post_logout_redirect_uri is not registered for the client")
    return client, claims, target


def read_params(items: list[tuple[str, str]]) -> dict[str, str] | None:
    """The logout parameters (query or form), or None when one is repeated."""
    params: dict[str, str] = {}
    for key, value in items:
        if key in LOGOUT_PARAMS:
            if key in params:
                return None
            params[key] = value
    return params


@dataclass(frozen=True)
class Refused:
    description: str


@dataclass(frozen=True)
class Finished:
    """Go to the client's `target` (with `state`), or show "signed out" without one;
    `signed_out`: this browser's session was ended (its cookie goes too)."""

    target: str | None
    state: str | None
    signed_out: bool

    @property
    def url(self) -> str | None:
        return with_query(self.target, {"state": self.state}) if self.target else None


@dataclass(frozen=True)
class AskConfirmation:
    params: dict[str, str]
    client: Client | None
    target: str | None


@dataclass(frozen=True)
class Declined:
    """The user chose to stay signed in."""


LogoutOutcome = Refused | Finished | AskConfirmation | Declined


async def request_logout(
    runtime: OidcRuntime,
    *,
    items: list[tuple[str, str]],
    session: Session | None,
    session_token: str,
) -> LogoutOutcome:
    params = read_params(items)
    if params is None:
        return Refused("a parameter is repeated")
    try:
        client, claims, target = await validate(runtime, params)
    except LogoutRequestError as error:
        return Refused(str(error))
    if session is None:
        return Finished(target=target, state=params.get("state"), signed_out=False)
    if claims is not None and claims.get("sid") == session_sid(session.id_hash):
        return await _sign_out(runtime, target, params.get("state"), session_token)
    return AskConfirmation(params=params, client=client, target=target)


async def confirm_logout(
    runtime: OidcRuntime, *, fields: dict[str, str], confirmed: bool, session_token: str
) -> LogoutOutcome:
    params = {key: fields[key] for key in LOGOUT_PARAMS if fields.get(key)}
    try:
        _client, _claims, target = await validate(runtime, params)
    except LogoutRequestError as error:
        return Refused(str(error))
    if not confirmed:
        return Declined()
    return await _sign_out(runtime, target, params.get("state"), session_token)


async def _sign_out(
    runtime: OidcRuntime, target: str | None, state: str | None, session_token: str
) -> Finished:
    await sessions.end_session(runtime.context.database, token=session_token)
    return Finished(target=target, state=state, signed_out=True)
