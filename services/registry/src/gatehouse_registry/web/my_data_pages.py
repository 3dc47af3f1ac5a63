"""*Edit your profile → My data* (`/profile/my-data`, issue 18 point 3): what the registry holds
about the signed-in user (gatehouse_registry.my_data) as a JSON file and as a page to read or
keep. Both are downloads with a fixed file name; like every page they need the registry's
multi-factor sign-in, and a visitor who is not signed in is sent to sign in first."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from gatehouse_common.web_i18n import Translator
from gatehouse_registry.dependencies import get_context
from gatehouse_registry.my_data import service as my_data
from gatehouse_registry.my_data.models import Decider
from gatehouse_registry.web.rendering import PageIn, PageRoute, format_date, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)
MY_DATA = "/profile/my-data"
JSON_FILE = "gatehouse-registry-my-data.json"
HTML_FILE = "gatehouse-registry-my-data.html"


# Columns whose codes the page shows in words (the key's prefix; an unknown code stays as is).
WORDS = {
    "action": "audit.action.",
    "status": "status.",
    "kind": "role.",
    "organization_kind": "kind.",
    "about": "mydata.about.",
}


def _word(t: Translator, column: str, value: Any) -> str:
    """A decider, a yes/no or a code in words; anything else as it is."""
    if isinstance(value, Decider):
        kind = t(f"kind.{value.organization_kind}") if value.organization_kind else ""
        return t(f"mydata.who.{value.who}", organisation=value.organization_name, kind=kind)
    if isinstance(value, bool):
        return t("mydata.yes") if value else t("mydata.no")
    key = f"{WORDS.get(column, '-')}{value}"
    return t(key) if column in WORDS and t.has(key) else str(value)


def cell_text(t: Translator, zone: ZoneInfo) -> Callable[[str, Any], str]:
    """How the page to read shows a value of a column: moments in the reader's zone, codes and
    deciders in words, lists and details spelled out (the template escapes the result)."""

    def show(column: str, value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime | date):
            return format_date(value, zone)
        if isinstance(value, list | tuple):
            return ", ".join(show(column, item) for item in value)
        if isinstance(value, dict):
            return "; ".join(f"{key}: {show(key, item)}" for key, item in value.items())
        return _word(t, column, value)

    return show


def _attachment(response: Response, filename: str) -> Response:
    """A download under our own fixed name (nothing the user typed goes into the header)."""
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get(MY_DATA)
async def my_data_page(page: PageIn) -> HTMLResponse:
    """What the downloads contain, and the two download links."""
    return page.render(
        "my_data.html",
        {
            "sections": my_data.SECTIONS,
            "as_json": f"{MY_DATA}/{JSON_FILE}",
            "as_html": f"{MY_DATA}/{HTML_FILE}",
        },
    )


@router.get(f"{MY_DATA}/{JSON_FILE}")
async def my_data_as_json(page: PageIn) -> Response:
    data = await my_data.my_data(page.database, actor=page.user)
    body = json.dumps(my_data.as_json(data), ensure_ascii=False, indent=2)
    return _attachment(Response(body, media_type="application/json"), JSON_FILE)


@router.get(f"{MY_DATA}/{HTML_FILE}")
async def my_data_as_html(page: PageIn) -> Response:
    """The same data as a page; rendered without the navigation (it is a file to keep)."""
    data = await my_data.my_data(page.database, actor=page.user)
    zone = ZoneInfo(get_context(page.request).settings.display_timezone)
    values = {"data": data, "show": cell_text(page.t, zone)}
    response = render(page.request, "my_data_export.html", values, viewer=None)
    return _attachment(response, HTML_FILE)
