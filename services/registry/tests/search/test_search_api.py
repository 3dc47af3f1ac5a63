"""Operator search through the JSON API (`GET /api/v1/operators`), as a new user types: the
queries of issue 15 that found nothing, the ranking, filters with text, "Did you mean …", and
input that is refused with the field named."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_registry.auth.dependencies import RegistryUser

NORDIC_IMPORT = "Nordic Import AB"
NORDIC_ORGNR = "559123-4561"


@pytest.fixture
async def searcher(make_user: Any) -> RegistryUser:
    user: RegistryUser = await make_user("Sara Sökare")
    return user


@pytest.fixture
async def register(searcher: RegistryUser, create_operator: Any) -> dict[str, Any]:
    """Nordic Import AB among operators whose names are close to it."""
    return {
        name: (await create_operator(searcher, name=name, city=city, **extra)).operator.id
        for name, city, extra in (
            (NORDIC_IMPORT, "Göteborg", {"orgnr": NORDIC_ORGNR}),
            ("Nordic Export AB", "Malmö", {}),
            ("Nordisk Importhandel HB", "Göteborg", {}),
            ("Nordica Import AB", "Malmö", {}),
            ("Import Nordic Trading AB", "Umeå", {}),
            ("Baltic Import AB", "Luleå", {}),
            (
                "Vänersborgs Äppelodlare AB",
                "Vänersborg",
                {"section": "EURPO", "activity_type": "EURPO"},
            ),
        )
    }


@pytest.fixture
async def api(open_client: Any, searcher: RegistryUser) -> AsyncIterator[httpx.AsyncClient]:
    async with open_client({"sara": searcher}) as client:
        client.headers["x-test-actor"] = "sara"
        yield client


async def search(api: httpx.AsyncClient, **params: str) -> dict[str, Any]:
    response = await api.get("/api/v1/operators", params=params)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def names(found: dict[str, Any]) -> list[str]:
    return [item["name"] for item in found["items"]]


@pytest.mark.parametrize(
    "typed",
    [
        "Nordc Import",  # a letter missing
        "Nordic Imprt",
        "Nordic Inport AB",  # a letter wrong
        "nordic import",
        "Import Nordic",  # another order
        "NORDIC IMPORT, AB",  # punctuation and legal form
        "Nordic Imp",  # still typing
        "5591234561",  # the organisation number, without dash
        "559123-4561",  # and with
        "SE559123456101",  # its VAT number
        "559123456101",  # without the prefix
    ],
)
async def test_what_found_nothing_finds_nordic_import_first(
    api: httpx.AsyncClient, register: dict[str, Any], typed: str
) -> None:
    found = await search(api, q=typed)
    assert names(found)[0] == NORDIC_IMPORT, names(found)
    with_country = await search(api, q=typed, country="SE")
    assert names(with_country)[0] == NORDIC_IMPORT


def matches(found: dict[str, Any]) -> list[tuple[str, str]]:
    return [(item["name"], item["match"]) for item in found["items"]]


async def test_identifier_first_then_same_name_then_all_words_then_typos(
    api: httpx.AsyncClient, register: dict[str, Any]
) -> None:
    assert matches(await search(api, q="Nordic Import")) == [
        (NORDIC_IMPORT, "name"),
        ("Import Nordic Trading AB", "words"),  # every word, and one more
        ("Nordica Import AB", "typos"),  # "Nordic" is one letter from "Nordica"
    ]
    # Words still typed rank as typed; every word typed beats a typo.
    assert matches(await search(api, q="Nordica Imp")) == [
        ("Nordica Import AB", "words"),
        (NORDIC_IMPORT, "typos"),
        ("Import Nordic Trading AB", "typos"),
    ]
    # The organisation number beats a name.
    assert matches(await search(api, q=NORDIC_ORGNR)) == [(NORDIC_IMPORT, "identifier")]
    assert (await search(api, q="Nordic Import"))["total"] == 3


async def test_fewer_words_when_no_operator_has_them_all(
    api: httpx.AsyncClient, register: dict[str, Any]
) -> None:
    found = await search(api, q="Nordic Import Sverige")
    assert found["total"] == 0  # none has every word
    # Two of the three words, the closest name first; one word of three is no hint.
    assert matches(found) == [
        (NORDIC_IMPORT, "some_words"),
        ("Import Nordic Trading AB", "some_words"),
    ]
    assert (await search(api, q="Orchard Import Ltd"))["items"] == []


async def test_filters_combine_with_the_text(
    api: httpx.AsyncClient, register: dict[str, Any]
) -> None:
    assert names(await search(api, q="appelodlare", section="EURPO")) == [
        "Vänersborgs Äppelodlare AB"
    ]
    assert names(await search(api, q="appelodlare", section="EUPO")) == []
    assert names(await search(api, q="appelodlare", country="DK")) == []
    eupo = names(await search(api, q="Nordic", country="SE", activity_type="EUPO"))
    assert NORDIC_IMPORT in eupo
    assert "Vänersborgs Äppelodlare AB" not in eupo


async def test_a_new_operator_is_found_at_once_with_its_typos(
    api: httpx.AsyncClient, searcher: RegistryUser, create_operator: Any
) -> None:
    """Its words enter the dictionary with it: a typo finds a word no operator had before."""
    await create_operator(searcher, name="Kvarnströms Trädgårdsprodukter AB", city="Växjö")
    found = await search(api, q="Kvarnstöms Tradgardsprdukter")
    assert names(found) == ["Kvarnströms Trädgårdsprodukter AB"]


async def test_did_you_mean_when_nothing_has_every_word(
    api: httpx.AsyncClient, register: dict[str, Any]
) -> None:
    # Run together, and too far from anything for the typo tolerance.
    assert (await search(api, q="Nordicimport"))["suggestion"] == NORDIC_IMPORT
    assert (await search(api, q="Nordixx Immport"))["suggestion"] == NORDIC_IMPORT
    assert (await search(api, q="Nordic Import"))["suggestion"] is None
    nothing = await search(api, q="Xyzzyq")
    assert nothing["items"] == []
    assert nothing["suggestion"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": "x" * 10_000}, "q"),
        ({"q": "!!! ???"}, "q"),
        ({"q": "- / ."}, "q"),
        ({"q": "'; DROP TABLE organizations; --"}, "q"),
        ({"q": "100% _import_"}, "q"),
        ({"q": "Nordic", "country": "XX"}, "country"),
        ({"q": "Nordic", "country": "sweden"}, "country"),
        ({"section": "NOPE"}, "section"),
        ({"activity_type": "NOPE"}, "activity_type"),
        ({"q": "Nordic", "page": "0"}, "page"),
        ({"q": "Nordic", "page_size": "1000"}, "page_size"),
    ],
)
async def test_bad_input_is_refused_with_the_field_named(
    api: httpx.AsyncClient, register: dict[str, Any], params: dict[str, str], field: str
) -> None:
    response = await api.get("/api/v1/operators", params=params)
    assert 400 <= response.status_code < 500, response.text
    assert field in {str(part) for problem in response.json()["detail"] for part in problem["loc"]}


def shown(found: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    return [
        (
            item["name"],
            item["address"],
            [f"{a['section_code']}/{a['activity_type_code']}" for a in item["activities"]],
        )
        for item in found["items"]
    ]


async def test_every_hit_on_the_page_asked_for_has_its_address_and_activities(
    api: httpx.AsyncClient, register: dict[str, Any]
) -> None:
    """The details are read with the hits, for the page's positions only: each page, and hits
    of a later bucket (the typos), has them; none is mixed up with another operator's."""
    address = "Hamngatan 1 411 06 {} Sweden"
    every_page = [
        shown(await search(api, q="Nordic Import", page_size="1", page=str(page)))
        for page in (1, 2, 3)
    ]
    assert every_page == [
        [(NORDIC_IMPORT, address.format("Göteborg"), ["EUPO/EUPO"])],
        [("Import Nordic Trading AB", address.format("Umeå"), ["EUPO/EUPO"])],
        [("Nordica Import AB", address.format("Malmö"), ["EUPO/EUPO"])],  # a typo
    ]
    assert shown(await search(api, q="Nordic Import", page_size="2", page="2")) == every_page[2]
    assert shown(await search(api, q="Vänersborg")) == [
        ("Vänersborgs Äppelodlare AB", address.format("Vänersborg"), ["EURPO/EURPO"])
    ]
    # Filters alone: the first page of every operator with the section, in name order.
    assert shown(await search(api, section="EURPO", country="SE")) == [
        ("Vänersborgs Äppelodlare AB", address.format("Vänersborg"), ["EURPO/EURPO"])
    ]


@pytest.fixture
def statements(db_connection: AsyncConnection) -> list[str]:
    """The first words of the SQL statements the searches send (not the test's savepoints)."""
    sent: list[str] = []

    def seen(*args: Any) -> None:
        statement: str = args[2]
        if not statement.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            sent.append(" ".join(statement.split()[:4]))

    assert db_connection.sync_connection is not None
    event.listen(db_connection.sync_connection, "before_cursor_execute", seen)
    return sent


async def test_a_search_reads_its_page_details_with_its_hits(
    api: httpx.AsyncClient, register: dict[str, Any], statements: list[str]
) -> None:
    """Each statement is a round trip: the settings (with the filters' codes), the words'
    expansions, and each group of buckets, which brings the page's details and counts its
    hits — no statement for the details or the count of their own."""
    await search(api, q="Nordic")  # the register's size is read at most every five minutes
    statements.clear()
    await search(api, q="Nordic Import", country="SE", page_size="1", page="3")
    assert statements == [
        "SELECT set_config($1::VARCHAR, $2::VARCHAR, true)",
        "SELECT operator_words.word, operator_words.operators, false",
        "SELECT ordered.bucket, ordered.id, ordered.name,",  # name, every word
        "SELECT ordered.bucket, ordered.id, ordered.name,",  # typos: the page's hit
    ]
    statements.clear()
    await search(api, section="EURPO")
    assert len(statements) == 2
