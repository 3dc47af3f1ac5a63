"""Operator search on the pages: *Select an existing operator* finds what a new user types and
says "Did you mean …"; *Create a new operator* shows the close matches and asks for an explicit
"this is a different company" before a likely duplicate is created."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from gatehouse_registry.auth.dependencies import RegistryUser

from .conftest import Visitor, field_error, fresh_orgnr, parse
from .test_manual_path import operator_form

NORDIC_IMPORT = "Nordic Import AB"


@pytest.fixture
async def people(make_user: Any, create_operator: Any) -> dict[str, RegistryUser]:
    owner = await make_user("Olof Ägare")
    await create_operator(owner, name=NORDIC_IMPORT, city="Göteborg", orgnr="559123-4561")
    await create_operator(owner, name="Nordic Export AB", city="Malmö")
    return {"sara": await make_user("Sara Sökare"), "olof": owner}


@pytest.fixture
async def visit(
    open_pages: Any, people: dict[str, RegistryUser]
) -> AsyncIterator[Callable[..., Visitor]]:
    async with open_pages(people) as opened:
        yield opened


def result_names(page_html: str) -> list[str]:
    """The names in the results table, in order (the second cell of each row)."""
    rows = html.unescape(page_html).split('<tr data-operator-id="')[1:]
    return [row.split("<td>", 2)[1].split("<", 1)[0] for row in rows]


@pytest.mark.parametrize(
    "typed", ["Nordc Import", "Nordic Imprt", "Nordic Inport AB", "5591234561", "559123-4561"]
)
async def test_the_search_page_finds_what_found_nothing(
    visit: Callable[..., Visitor], typed: str
) -> None:
    sara = visit("sara", "sv")
    page = await sara.get("/request-authorisation/operator", country="SE", q=typed)
    assert page.status_code == 200
    assert result_names(page.text)[0] == NORDIC_IMPORT
    assert 'id="no-results"' not in page.text


@pytest.mark.parametrize("language", ["sv", "en"])
async def test_did_you_mean_links_to_the_corrected_search(
    visit: Callable[..., Visitor], language: str
) -> None:
    sara = visit("sara", language)
    page = await sara.get("/request-authorisation/operator", country="SE", q="Nordicimport")
    assert 'id="no-results"' in page.text
    paragraph = re.search(r'<p id="suggestion"[^>]*>(.*?)</p>', page.text, re.DOTALL)
    assert paragraph, "no Did you mean"
    assert (
        " ".join(parse(paragraph[1]).parts) == f"{sara.text('search.suggestion')} {NORDIC_IMPORT}"
    )
    assert "q=Nordic+Import+AB" in html.unescape(page.text)


@pytest.mark.parametrize(
    ("typed", "sentence"),
    [
        ("!!!", "error.search_text_empty"),
        ("'; DROP TABLE organizations; --", "error.search_text_characters"),
    ],
)
async def test_text_that_cannot_be_a_name_is_explained_beside_the_field(
    visit: Callable[..., Visitor], typed: str, sentence: str
) -> None:
    sara = visit("sara", "en")
    page = await sara.get("/request-authorisation/operator", country="SE", q=typed)
    assert page.status_code == 422
    shown = html.unescape(field_error(page.text, "q") or "")
    assert shown == sara.text(sentence, character=";")


async def test_close_matches_are_shown_on_the_create_form(visit: Callable[..., Visitor]) -> None:
    sara = visit("sara", "sv")
    page = await sara.get("/request-authorisation/operator/new", country="SE", q="Nordic Imprt")
    assert 'id="close-matches"' in page.text
    shown = html.unescape(page.text)
    assert f"{NORDIC_IMPORT}, Hamngatan 1 411 06 Göteborg" in shown  # with its address
    assert sara.text("operator.close.likely") in shown
    assert 'name="different_company"' in page.text
    nothing_near = await sara.get(
        "/request-authorisation/operator/new", country="SE", q="Helt Annat Bolag"
    )
    assert 'id="close-matches"' not in nothing_near.text


async def test_a_likely_duplicate_needs_an_explicit_different_company(
    db: Any, visit: Callable[..., Visitor]
) -> None:
    sara = visit("sara", "en")
    await sara.get("/request-authorisation/operator/new", country="SE", q="Nordic Import")
    before = await db.fetchval("SELECT count(*) FROM organizations")
    form = operator_form(fresh_orgnr(), name="Nordic Import Aktiebolag")
    for action in ("create", "send"):
        refused = await sara.post("/request-authorisation/operator/new", {**form, "action": action})
        assert refused.status_code == 422
        assert field_error(refused.text, "different_company") == html.escape(
            sara.text("error.confirm_different_company"), quote=True
        )
    assert await db.fetchval("SELECT count(*) FROM organizations") == before
    confirmed = await sara.post(
        "/request-authorisation/operator/new",
        {**form, "different_company": "yes", "action": "create"},
    )
    assert confirmed.status_code == 200
    assert 'name="different_company" value="yes"' in confirmed.text  # carried to "send"


async def test_a_different_name_needs_no_confirmation(
    db: Any, visit: Callable[..., Visitor]
) -> None:
    sara = visit("sara", "en")
    await sara.get("/request-authorisation/operator/new", country="SE", q="Äppelgården")
    page = await sara.post(
        "/request-authorisation/operator/new", {**operator_form(fresh_orgnr()), "action": "create"}
    )
    assert page.status_code == 200
    assert 'id="different_company"' not in page.text
