""" "This wasn't me": the page a new-device notice links to (sign_in/notices.py). The GET only
shows the sign-in and a button; the POST (CSRF-checked like every form) acts."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from gatehouse_identity.accounts.errors import InvalidLinkError
from gatehouse_identity.sign_in import notices
from gatehouse_identity.web.dependencies import Context, Form
from gatehouse_identity.web.rendering import PageRoute, message_page, render, translator

router = APIRouter(include_in_schema=False, route_class=PageRoute)
REPORT_SIGN_IN = "/login/report"


def _link_unusable(request: Request) -> HTMLResponse:
    t = translator(request)
    return message_page(
        request, title=t("error.title"), message=t("report.link_invalid"), status_code=400
    )


@router.get(REPORT_SIGN_IN)
async def report_form(request: Request, context: Context, token: str = "") -> HTMLResponse:
    reported = await notices.reported_sign_in(context.resources.database, token=token)
    if reported is None:
        return _link_unusable(request)
    return render(request, "report_sign_in.html", {"token": token, "sign_in": reported})


@router.post(REPORT_SIGN_IN)
async def report(request: Request, fields: Form, context: Context) -> Response:
    try:
        await notices.report_sign_in(context.resources.database, token=fields.get("token", ""))
    except InvalidLinkError:
        return _link_unusable(request)
    t = translator(request)
    return message_page(
        request,
        title=t("report.done_title"),
        message=t("report.done"),
        link="/password/forgot",
        link_text=t("report.new_password"),
    )
