"""The authority's work list (`/authority/work`): what waits for the viewer's authorities, with
counts, oldest first or newest first. Authority users land here from the start page."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from gatehouse_registry.web.rendering import PageIn
from gatehouse_registry.workbench import service as workbench

router = APIRouter(include_in_schema=False)


@router.get("/authority/work")
async def work_list(
    page: PageIn, sort: Annotated[Literal["oldest", "newest"], Query()] = "oldest"
) -> HTMLResponse:
    work = await workbench.authority_work(
        page.database, actor=page.user, newest_first=sort == "newest"
    )
    return page.render("workbench.html", {"work": work, "sort": sort})
