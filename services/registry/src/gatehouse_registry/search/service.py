"""Searching operators — the search page and API, the close matches shown before creating an
operator — and keeping the word dictionary up to date when one is created."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_common.db import Database
from gatehouse_registry.access import Actor, check_multi_factor
from gatehouse_registry.errors import InvalidInputError, OutOfRangeError, UnknownChoiceError
from gatehouse_registry.search import finding, queries, words
from gatehouse_registry.search import hits as hit_queries
from gatehouse_registry.search.buckets import Bucket, Identified, Plan
from gatehouse_registry.search.hits import Filters
from gatehouse_registry.search.models import Match, SearchHit, SearchPage
from gatehouse_registry.search.query import MAX_TEXT, identifier_candidates, parse

MAX_PAGE_SIZE = 100
MAX_PAGE = 500
__all__ = [
    "MAX_PAGE",
    "MAX_PAGE_SIZE",
    "MAX_TEXT",
    "CloseMatch",
    "close_matches",
    "search_operators",
]
# Close matches shown on the form that creates an operator, and how they may have matched.
CLOSE_MATCHES = 5
CLOSE_MATCH_KINDS = frozenset({Match.NAME, Match.WORDS, Match.TYPOS, Match.SOME_WORDS})


@dataclass(frozen=True)
class CloseMatch:
    hit: SearchHit
    likely_duplicate: bool


async def search_operators(
    database: Database,
    *,
    actor: Actor,
    country_code: str | None = None,
    section_code: str | None = None,
    activity_type_code: str | None = None,
    text: str | None = None,
    page: int = 1,
    page_size: int = 20,
) -> SearchPage:
    """Operators that are valid or awaiting validation (rejected ones are not offered) for what
    was typed and the filters. Open to every signed-in user with a second factor: searching
    comes before any role is held (nor is the registry's copy of the user needed, so none is
    made). Bad input is refused before the database is asked anything."""
    if not 1 <= page <= MAX_PAGE:
        raise OutOfRangeError(field="page", minimum=1, maximum=MAX_PAGE)
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise OutOfRangeError(field="page_size", minimum=1, maximum=MAX_PAGE_SIZE)
    check_multi_factor(actor)
    query = parse(text or "")
    filters = Filters(country_code, section_code, activity_type_code)
    async with database.transaction() as connection:
        unknown = await queries.begin_search(connection, filters)
        if unknown is not None:
            field, value = unknown
            raise UnknownChoiceError(f"unknown code {value!r}", field=field)
        return await finding.find(
            connection, query=query, filters=filters, page=page, page_size=page_size
        )


async def close_matches(
    database: Database,
    *,
    actor: Actor,
    name: str,
    country_code: str | None,
    identifiers: Sequence[str] = (),
) -> list[CloseMatch]:
    """Operators that may be the one about to be created: holding one of its identifiers, or
    having the words of its name (typos forgiven; some of them when none has all) in the same
    country, closest first.

    A *likely duplicate* holds one of the identifiers, has the same name (legal form,
    punctuation and word order aside), or the same words within the typo tolerance and no
    other: creating the operator anyway takes an explicit "this is a different company"."""
    check_multi_factor(actor)
    async with database.transaction() as connection:
        return await _close_matches(connection, name, country_code, identifiers)


async def _close_matches(
    connection: AsyncConnection, name: str, country_code: str | None, identifiers: Sequence[str]
) -> list[CloseMatch]:
    await hit_queries.prefer_indexes(connection)
    identified: list[uuid.UUID] = []
    typed_identifiers = [c for value in identifiers for c in identifier_candidates(value)]
    if typed_identifiers:
        identified = await queries.identifier_holders(connection, typed_identifiers)
    try:
        query = parse(name + " ")  # a finished name: no prefixes
    except InvalidInputError:
        query = None  # a name the search cannot read; the operator's own rules judge it
    groups: list[list[Bucket]] = []
    params: dict[str, object] = {}
    if query is not None:
        _, search_plan = await finding.plan(connection, query)
        params |= search_plan.params
        groups += [
            [b for b in group if b.match in CLOSE_MATCH_KINDS] for group in search_plan.groups
        ]
    if identified:
        params["ids"] = identified
        groups.insert(0, [Bucket(Identified(), Match.IDENTIFIER)])
    plan = Plan(groups=[g for g in groups if g], every_word=None, params=params)
    filters = Filters(country_code=country_code)
    hits = await finding.collect(connection, filters, plan, CLOSE_MATCHES)
    typed_words = len(set(query.name_key.split())) if query is not None else 0
    detailed = await finding.hits_with_details(connection, hits[:CLOSE_MATCHES])
    return [
        CloseMatch(
            hit=hit,
            likely_duplicate=hit.match in {Match.IDENTIFIER, Match.NAME}
            or (
                hit.match in {Match.WORDS, Match.TYPOS}
                and len(set(words.name_key(hit.name).split())) == typed_words
            ),
        )
        for hit in detailed
    ]


async def record_operator_words(
    connection: AsyncConnection, *, name: str, town: str
) -> words.SearchEntry:
    """The search entry of a new operator, with its words added to the dictionary (in the
    caller's transaction, so an operator never exists without them)."""
    entry = words.search_entry(name, town)
    await queries.add_words(connection, entry.words)
    return entry
