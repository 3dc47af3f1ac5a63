"""My account → My data (`/account/data`, issue 18 point 3): what identity holds about the user
(my_data/export.py) as a JSON file and as a page to read or keep. Both downloads need a recent
sign-in at the user's level (`signed_in_recently`)."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from gatehouse_identity.mfa import policy
from gatehouse_identity.my_data import export
from gatehouse_identity.sessions.models import Session
from gatehouse_identity.web.dependencies import Context, Runtime, signed_in, signed_in_recently
from gatehouse_identity.web.rendering import PageRoute, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)
MY_DATA = "/account/data"
AS_JSON = MY_DATA + "/gatehouse-my-data.json"
AS_HTML = MY_DATA + "/gatehouse-my-data.html"

OnMyData = Annotated[Session, Depends(signed_in(level="password", then=MY_DATA))]
Exporting = Annotated[Session, Depends(signed_in_recently(then=MY_DATA, sign_in_again=MY_DATA))]


def _attachment(response: Response, filename: str) -> Response:
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get(MY_DATA)
async def my_data_page(
    request: Request, session: OnMyData, context: Context, runtime: Runtime
) -> Response:
    """What is in the download and what is not; the download links, or (a password-only user
    whose sign-in is not recent) a button to sign in again first."""
    recent = runtime.recently(session.authenticated_at)
    has_methods = bool(
        await policy.usable_methods(context.database, runtime, user_id=session.user_id)
    )
    values = {
        "may_download": recent or has_methods,
        "exported": list(export.EXPORTED),
        "excluded": list(export.EXCLUDED),
        "as_json": AS_JSON,
        "as_html": AS_HTML,
        "here": MY_DATA,
    }
    return render(request, "my_data/page.html", values)


@router.get(AS_JSON)
async def my_data_as_json(session: Exporting, context: Context) -> Response:
    data = await export.my_data(
        context.resources.database, user_id=session.user_id, email_history=context.notifier
    )
    body = json.dumps(data.as_json(), ensure_ascii=False, indent=2)
    response = Response(body, media_type="application/json")
    return _attachment(response, AS_JSON.rsplit("/", 1)[1])


@router.get(AS_HTML)
async def my_data_as_html(request: Request, session: Exporting, context: Context) -> Response:
    data = await export.my_data(
        context.resources.database, user_id=session.user_id, email_history=context.notifier
    )
    values = {"data": data, "excluded": list(export.EXCLUDED)}
    return _attachment(render(request, "my_data/export.html", values), AS_HTML.rsplit("/", 1)[1])
