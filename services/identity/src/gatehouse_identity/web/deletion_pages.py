"""My account → Delete my account (`/account/delete`, issue 18 point 3): what deleting does and
keeps, a warning when the registry says the user is the last administrator of an organization,
and the form: the account's e-mail address typed as the confirmation. The POST needs a recent
sign-in at the user's level (`signed_in_recently`: a fresh second factor for users who have
one, a new sign-in for the others) and the CSRF token; the rules are accounts/deletion.py."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from gatehouse_identity.accounts import deletion
from gatehouse_identity.accounts.errors import (
    AccountAlreadyDeletedError,
    AccountError,
    LastAdministratorError,
    RegistryUnavailableError,
)
from gatehouse_identity.api.errors import status_of
from gatehouse_identity.cookies import clear_session_cookie
from gatehouse_identity.levels import AuthLevel
from gatehouse_identity.mfa import policy
from gatehouse_identity.sessions.models import Session
from gatehouse_identity.web.dependencies import (
    Context,
    Form,
    Runtime,
    signed_in,
    signed_in_recently,
)
from gatehouse_identity.web.navigation import second_factor_url
from gatehouse_identity.web.rendering import (
    PageRoute,
    Redirect,
    message_page,
    render,
    translator,
)

router = APIRouter(include_in_schema=False, route_class=PageRoute)
DELETE_ACCOUNT = "/account/delete"

OnDeletePage = Annotated[Session, Depends(signed_in(level="password", then=DELETE_ACCOUNT))]
Deleting = Annotated[
    Session, Depends(signed_in_recently(then=DELETE_ACCOUNT, sign_in_again=DELETE_ACCOUNT))
]


async def _page(
    request: Request,
    session: Session,
    context: Context,
    runtime: Runtime,
    *,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    t = translator(request)
    recent = runtime.recently(session.authenticated_at)
    has_methods = bool(
        await policy.usable_methods(context.database, runtime, user_id=session.user_id)
    )
    if has_methods and not recent:
        # Prove the second factor before reading and typing, not after pressing the button.
        raise Redirect(
            second_factor_url(next_url=DELETE_ACCOUNT, level=AuthLevel.MULTI_FACTOR, fresh=True)
        )
    warning = ""
    try:
        await deletion.check_not_last_administrator(context.registry, user_id=session.user_id)
    except (LastAdministratorError, RegistryUnavailableError) as error:
        warning = t.error(error)
    values = {
        "may_delete": recent,
        "warning": warning,
        "errors": errors or {},
        "here": DELETE_ACCOUNT,
    }
    return render(request, "delete_account.html", values, status_code=status_code)


@router.get(DELETE_ACCOUNT)
async def delete_account_page(
    request: Request, session: OnDeletePage, context: Context, runtime: Runtime
) -> Response:
    return await _page(request, session, context, runtime)


@router.post(DELETE_ACCOUNT)
async def delete_account(
    request: Request, fields: Form, session: Deleting, context: Context, runtime: Runtime
) -> Response:
    t = translator(request)
    try:
        await deletion.delete_account(
            context.database,
            registry=context.registry,
            user_id=session.user_id,
            confirmation=fields.get("confirmation", ""),
        )
    except AccountAlreadyDeletedError as error:
        response = message_page(
            request,
            title=t("delete.done_title"),
            message=t.error(error),
            status_code=status_of(error),
        )
        clear_session_cookie(response, context.settings)
        return response
    except AccountError as error:
        errors = {"confirmation": t.error(error)}
        return await _page(
            request, session, context, runtime, errors=errors, status_code=status_of(error)
        )
    response = message_page(
        request,
        title=t("delete.done_title"),
        message=t("delete.done"),
        link="/signup",
        link_text=t("delete.sign_up_again"),
    )
    clear_session_cookie(response, context.settings)
    return response
