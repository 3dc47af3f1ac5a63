"""The sign-in endpoints machines call: identity's back-channel logout, and `/auth/me` (what the
session or bearer token says about the caller). The browser's pages are in web/sign_in_pages.py."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from gatehouse_registry.auth import sign_in
from gatehouse_registry.auth.dependencies import CurrentUser
from gatehouse_registry.auth.errors import SignInError
from gatehouse_registry.auth.runtime import auth_runtime

router = APIRouter(tags=["sign-in"])
NO_STORE = {"Cache-Control": "no-store"}


def _invalid_request(description: str) -> JSONResponse:
    return JSONResponse(
        {"error": "invalid_request", "error_description": description},
        status_code=400,
        headers=NO_STORE,
    )


@router.post(
    "/auth/backchannel-logout",
    summary="Identity ends a session (OpenID Connect Back-Channel Logout)",
    response_class=Response,
    responses={
        200: {"description": "The sessions of that identity session are ended"},
        400: {
            "description": "Not a valid logout token",
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "properties": {"logout_token": {"type": "string"}},
                        "required": ["logout_token"],
                    }
                }
            },
        }
    },
)
async def backchannel_logout(request: Request) -> Response:
    form = await request.form(max_fields=5, max_files=0)
    logout_token = form.get("logout_token")
    if not isinstance(logout_token, str) or not logout_token:
        return _invalid_request("logout_token is required")
    try:
        await sign_in.end_identity_session(auth_runtime(request), logout_token=logout_token)
    except SignInError:
        return _invalid_request("logout_token is not valid")
    return Response(status_code=200, headers=NO_STORE)


@router.get(
    "/auth/me",
    summary="The signed-in user, as the registry sees them",
    responses={
        401: {"description": "No valid session or bearer token"},
        403: {"description": "Signed in below multi-factor"},
        503: {"description": "identity could not check the bearer token"},
    },
)
async def me(user: CurrentUser) -> dict[str, Any]:
    return {
        "user_id": str(user.user_id),
        "full_name": user.full_name,
        "email": user.email,
        "level": user.level,
        "amr": user.amr,
    }
