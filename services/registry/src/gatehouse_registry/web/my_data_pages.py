"""*Edit your profile → My data* (`/profile/my-data`, issue 18 point 3): what the registry holds
about the signed-in user (gatehouse_registry.my_data) as a JSON file and as a page to read or
keep. Both are downloads with a fixed file name; like every page they need the registry's
multi-factor sign-in, and a visitor who is not signed in is sent to sign in first."""

from __future__ import annotations

import json

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from gatehouse_registry.my_data import service as my_data
from gatehouse_registry.web.rendering import PageIn, PageRoute, render

router = APIRouter(include_in_schema=False, route_class=PageRoute)
MY_DATA = "/profile/my-data"
JSON_FILE = "gatehouse-registry-my-data.json"
HTML_FILE = "gatehouse-registry-my-data.html"


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
    values = {"data": data, "plain": my_data.plain}
    response = render(page.request, "my_data_export.html", values, viewer=None)
    return _attachment(response, HTML_FILE)
