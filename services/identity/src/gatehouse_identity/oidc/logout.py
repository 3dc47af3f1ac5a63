"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0).

`post_logout_redirect_uri` must equal one the client registered, and the client must be known
(from `id_token_hint` or `client_id`); anything else is refused on a page of our own, so the
endpoint can never send a browser to an address an attacker chose. Without a hint naming the
current session the user is asked to confirm, so a third-party page cannot sign people out.

Ending the session revokes its grants and queues back-channel logout tokens (database trigger,
see migration 0004 and backchannel.py).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from joserfc.errors import JoseError

from gatehouse_identity.accounts import sessions
from gatehouse_identity.oidc import clients
from gatehouse_identity.oidc.clients import Client
from gatehouse_identity.oidc.runtime import OidcRuntime, oidc_runtime
from gatehouse_identity.oidc.tokens import session_sid
from gatehouse_identity.oidc.web import (
    current_session,
    identity_context,
    message_page,
    origin_of,
    read_form,
    redirect,
    render,
    session_token,
    translator,
    with_query,
)

router = APIRouter(include_in_schema=False)
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


async def _validate(
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
    client = await clients.get_client(runtime.context.pool, client_id) if client_id else None
    if client_id and client is None:
        raise LogoutRequestError("unknown client")
    target = params.get("post_logout_redirect_uri") or None
    if target is not None and (client is None or target not in client.post_logout_redirect_uris):
        # Exact match only: anything else would make this an open redirector.
        raise LogoutRequestError("post_logout_redirect_uri is not registered for the client")
    return client, claims, target


def _refused(request: Request, description: str) -> Response:
    t = translator(request)
    return message_page(
        request,
        title=t("oidc.error.title"),
        message=f"{t('oidc.logout.refused')} (invalid_request: {description})",
        status_code=400,
    )


async def _params(request: Request) -> dict[str, str] | None:
    """The logout parameters (query or form), or None when one is repeated."""
    if request.method == "POST":
        form = await request.form(max_fields=20, max_files=0)
        items = [(key, value) for key, value in form.multi_items() if isinstance(value, str)]
    else:
        items = list(request.query_params.multi_items())
    params: dict[str, str] = {}
    for key, value in items:
        if key in LOGOUT_PARAMS:
            if key in params:
                return None
            params[key] = value
    return params


@router.api_route("/oidc/logout", methods=["GET", "POST"])
async def end_session(request: Request) -> Response:
    runtime = oidc_runtime(request)
    params = await _params(request)
    if params is None:
        return _refused(request, "a parameter is repeated")
    try:
        client, claims, target = await _validate(runtime, params)
    except LogoutRequestError as error:
        return _refused(request, str(error))
    session = await current_session(request)
    if session is None:
        return _finish(request, target, params.get("state"))
    if claims is not None and claims.get("sid") == session_sid(session.id_hash):
        return await _logout(request, runtime, target, params.get("state"))
    return render(
        request,
        "logout_confirm.html",
        {"params": params, "client": client},
        form_targets=(origin_of(target),) if target else (),
    )


@router.post("/oidc/logout/confirm")
async def confirm_logout(request: Request) -> Response:
    runtime = oidc_runtime(request)
    fields = await read_form(request)
    if fields is None:
        t = translator(request)
        return message_page(
            request, title=t("error.title"), message=t("error.csrf"), status_code=403
        )
    params = {key: fields[key] for key in LOGOUT_PARAMS if fields.get(key)}
    try:
        _client, _claims, target = await _validate(runtime, params)
    except LogoutRequestError as error:
        return _refused(request, str(error))
    if fields.get("decision") != "logout":
        return redirect("/account")
    return await _logout(request, runtime, target, params.get("state"))


async def _logout(
    request: Request, runtime: OidcRuntime, target: str | None, state: str | None
) -> Response:
    await sessions.end_session(runtime.context.pool, token=session_token(request))
    response = _finish(request, target, state)
    name = identity_context(request).settings.session_cookie_name
    response.delete_cookie(name, path="/", secure=True, httponly=True, samesite="lax")
    return response


def _finish(request: Request, target: str | None, state: str | None) -> Response:
    if target is not None:
        return redirect(with_query(target, {"state": state}))
    t = translator(request)
    return message_page(request, title=t("oidc.logout.done_title"), message=t("oidc.logout.done"))
