"""My account → Security: the second factors, "always require", renaming and removing one,
resetting them all, and new recovery codes. Adding each kind is enrolment_pages.py.

Every page here needs a multi-factor session once the user has a usable method (the
`managing` dependency sends the browser to prove one first and back)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from gatehouse_identity.api.errors import status_of
from gatehouse_identity.cookies import clear_session_cookie
from gatehouse_identity.levels import AuthLevel
from gatehouse_identity.mfa import enrolment, factors, policy
from gatehouse_identity.mfa.errors import MfaError, SecondFactorNeededError, StepUpRequiredError
from gatehouse_identity.mfa.levels import FactorKind
from gatehouse_identity.sessions.models import Session
from gatehouse_identity.web.dependencies import Context, Db, Form, Runtime, managing
from gatehouse_identity.web.navigation import continue_url, second_factor_url
from gatehouse_identity.web.rendering import (
    PageRoute,
    message_page,
    redirect,
    render,
    translator,
)

router = APIRouter(include_in_schema=False, route_class=PageRoute)
SECURITY = "/account/security"
MAX_NAME_LENGTH = 200

Managing = Annotated[Session, Depends(managing(then=SECURITY))]


async def security_page(
    request: Request,
    database: Db,
    runtime: Runtime,
    session: Session,
    *,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    found = await policy.overview(database, runtime, user_id=session.user_id)
    values = {
        "by_kind": {kind: [f for f in found.factors if f.kind is kind] for kind in FactorKind},
        "kinds": FactorKind,
        "recovery_left": found.recovery_codes_left,
        "always_require": found.always_require_mfa,
        "sms_allowed": found.sms_allowed,
        "sunset_date": found.sms_sunset_date,
        "has_factors": bool(found.factors),
        "errors": errors or {},
    }
    return render(request, "mfa/security.html", values, status_code=status_code)


def codes_page(
    request: Request, codes: list[str], *, title_key: str, intro_key: str
) -> HTMLResponse:
    t = translator(request)
    values = {
        "codes": codes,
        "title": t(title_key),
        "intro": t(intro_key),
        "continue_url": continue_url(request),
    }
    return render(request, "mfa/recovery_codes.html", values)


@router.get(SECURITY)
async def security(request: Request, session: Managing, database: Db, runtime: Runtime) -> Response:
    return await security_page(request, database, runtime, session)


@router.post(f"{SECURITY}/always-require")
async def always_require(
    request: Request, fields: Form, session: Managing, database: Db, runtime: Runtime
) -> Response:
    try:
        await policy.set_always_require_mfa(
            database, runtime, user_id=session.user_id, enabled=fields.get("enabled") == "1"
        )
    except MfaError as error:
        errors = {"always_require_mfa": translator(request).error(error)}
        return await security_page(
            request, database, runtime, session, errors=errors, status_code=status_of(error)
        )
    return redirect(SECURITY)


@router.post(SECURITY + "/factors/{factor_id}/rename")
async def rename_factor(
    request: Request,
    *,
    factor_id: uuid.UUID,
    fields: Form,
    session: Managing,
    database: Db,
    runtime: Runtime,
) -> Response:
    try:
        await factors.rename(
            database,
            user_id=session.user_id,
            factor_id=factor_id,
            name=fields.get("name", "")[:MAX_NAME_LENGTH],
        )
    except MfaError as error:
        errors = {f"name-{factor_id}": translator(request).error(error)}
        return await security_page(
            request, database, runtime, session, errors=errors, status_code=status_of(error)
        )
    return redirect(SECURITY)


@router.post(SECURITY + "/factors/{factor_id}/remove")
async def remove_factor(
    request: Request,
    *,
    factor_id: uuid.UUID,
    _fields: Form,
    session: Managing,
    database: Db,
    runtime: Runtime,
) -> Response:
    t = translator(request)
    try:
        removed = await factors.remove(database, runtime, session=session, factor_id=factor_id)
    except StepUpRequiredError:
        # The last strong method: prove a second factor again, then come back and confirm.
        return redirect(
            second_factor_url(next_url=SECURITY, level=AuthLevel.MULTI_FACTOR, fresh=True)
        )
    except MfaError as error:
        return await security_page(
            request,
            database,
            runtime,
            session,
            errors={"form": t.error(error)},
            status_code=status_of(error),
        )
    return message_page(
        request,
        title=t("mfa.removed.title"),
        message=t("mfa.removed.message", name=removed.name),
        link=SECURITY,
        link_text=t("mfa.security.title"),
    )


@router.post(f"{SECURITY}/reset")
async def reset_devices(
    request: Request,
    fields: Form,
    session: Managing,
    context: Context,
    runtime: Runtime,
) -> Response:
    t = translator(request)
    if fields.get("confirm") != "yes":
        errors = {"confirm": t("mfa.reset.confirm_needed")}
        return await security_page(
            request, context.database, runtime, session, errors=errors, status_code=422
        )
    await factors.reset_all(context.database, user_id=session.user_id)
    response = message_page(
        request,
        title=t("mfa.reset.done_title"),
        message=t("mfa.reset.done"),
        link="/login",
        link_text=t("login.title"),
    )
    clear_session_cookie(response, context.settings)
    return response


@router.post(f"{SECURITY}/recovery-codes")
async def new_recovery_codes(
    request: Request, _fields: Form, session: Managing, database: Db
) -> Response:
    try:
        codes = await enrolment.new_recovery_codes(database, user_id=session.user_id)
    except SecondFactorNeededError:
        return redirect(SECURITY)
    return codes_page(
        request, codes, title_key="mfa.recovery.new_title", intro_key="mfa.recovery.new_intro"
    )
