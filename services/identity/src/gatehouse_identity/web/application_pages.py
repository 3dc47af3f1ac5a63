"""My account → Applications: the applications the user let sign them in, and the setting
"Warn me each time an application asks for my identity"."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from gatehouse_identity.oidc import consents
from gatehouse_identity.sessions.models import Session
from gatehouse_identity.web.dependencies import Db, Form, signed_in
from gatehouse_identity.web.rendering import PageRoute, redirect, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)
PAGE = "/account/applications"

# Account pages need only a signed-in user (a password session will do).
OnApplications = Annotated[Session, Depends(signed_in(level="password", then=PAGE))]


@router.get(PAGE)
async def applications(request: Request, session: OnApplications, database: Db) -> Response:
    found = await consents.applications_page(database, user_id=session.user_id)
    values = {"applications": found.applications, "warn_each_time": found.warn_each_time}
    return render(request, "oidc/applications.html", values)


@router.post(f"{PAGE}/settings")
async def save_settings(fields: Form, session: OnApplications, database: Db) -> Response:
    await consents.set_warn_each_time(
        database, user_id=session.user_id, value=fields.get("warn_each_time") == "on"
    )
    return redirect(PAGE)


@router.post(PAGE + "/{client_id}/withdraw")
async def withdraw(
    client_id: str, _fields: Form, session: OnApplications, database: Db
) -> Response:
    await consents.withdraw_consent(database, user_id=session.user_id, client_id=client_id)
    return redirect(PAGE)
