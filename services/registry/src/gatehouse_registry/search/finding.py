"""Finding the hits of a query: its words expanded through the dictionary, its buckets read in
order until the page is full, and the page's details (see gatehouse_registry.search)."""

from __future__ import annotations

import time

from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_registry.operators.models import ActivitySummary, OrganizationStatus
from gatehouse_registry.search import hits as hit_queries
from gatehouse_registry.search import queries, ranking, suggestions
from gatehouse_registry.search.buckets import Bucket, Everything, Plan
from gatehouse_registry.search.hits import Filters, Hit, HitDetails
from gatehouse_registry.search.models import Match, SearchHit, SearchPage
from gatehouse_registry.search.query import Query

# Counting every match of a broad search over a million rows is the slow part; beyond this the
# page says "more than".
COUNT_CAP = 100


async def find(
    connection: AsyncConnection,
    *,
    query: Query | None,
    filters: Filters,
    page: int,
    page_size: int,
) -> SearchPage:
    """A page of hits for `query` (None: the filters alone), in a transaction of `connection`
    begun with `queries.begin_search` (see gatehouse_registry.search for the ranking)."""
    if query is None:
        search_plan = Plan(groups=[[Bucket(Everything(), Match.FILTERS)]], every_word=Everything())
        expansions: list[ranking.Expansion] = []
    else:
        expansions, search_plan = await plan(connection, query)
    offset = (page - 1) * page_size
    hits = await collect(
        connection,
        filters,
        search_plan,
        offset + page_size + 1,
        count=True,
        page=(offset, page_size),
    )
    every_word = sum(1 for hit in hits if hit.every_word)
    shown = hits[offset : offset + page_size]
    suggestion = None
    if query is not None and page == 1 and not any(hit.every_word for hit in shown):
        suggestion = await _suggestion(connection, expansions, filters)
    return SearchPage(
        items=await hits_with_details(connection, shown),
        page=page,
        page_size=page_size,
        total=min(every_word, COUNT_CAP),
        total_is_exact=every_word <= COUNT_CAP,
        more=len(hits) > offset + page_size,
        suggestion=suggestion,
    )


async def _suggestion(
    connection: AsyncConnection, expansions: list[ranking.Expansion], filters: Filters
) -> str | None:
    """ "Did you mean …": the name of the best operator for the corrected query, when it has
    every word of it."""
    corrected = await suggestions.corrected_query(connection, expansions)
    if corrected is None:
        return None
    _, corrected_plan = await plan(connection, corrected)
    hits = await collect(connection, filters, corrected_plan, 1)
    return hits[0].name if hits and hits[0].every_word else None


async def collect(
    connection: AsyncConnection,
    filters: Filters,
    search_plan: Plan,
    wanted: int,
    *,
    count: bool = False,
    page: tuple[int, int] | None = None,
) -> list[Hit]:
    """The hits up to the `wanted`-th, reading groups of buckets in order while there are not
    enough.

    `count`: the hits with every word are read up to COUNT_CAP + 1 whatever the page needs
    (more than `wanted`, unless the page is deep), which counts them in the statements that
    read them: a broad group then costs 101 rows of its index in name order — what a separate
    count cost on top of the page's rows (a filter alone over 100,000 operators: 9 ms of
    PostgreSQL's time, and one more round trip).

    `page` (offset, size): the hits at those positions come with their details, read in the
    statement that reads them (one round trip fewer per search)."""
    hits: list[Hit] = []
    earlier: list[Bucket] = []
    number = 0
    for group in search_plan.groups:
        every_word = all(bucket.every_word for bucket in group)
        if not every_word and any(hit.every_word for hit in hits):
            break  # fewer words only when nothing has every word
        limit = max(wanted, COUNT_CAP + 1) if every_word and count else wanted
        have = sum(1 for hit in hits if hit.every_word) if every_word and count else len(hits)
        if have >= limit:
            continue
        numbered = list(enumerate(group, start=number))
        number += len(group)
        shown = None if page is None else (page[0] - len(hits), page[1])
        hits += await hit_queries.hits_of_buckets(
            connection,
            filters,
            numbered,
            earlier,
            search_plan.params,
            limit=limit - have,
            shown=shown,
        )
        earlier += group
    return hits


async def hits_with_details(connection: AsyncConnection, hits: list[Hit]) -> tuple[SearchHit, ...]:
    """The hits as shown, with the details of those read without them."""
    missing = [hit.id for hit in hits if hit.details is None]
    details = await queries.hit_details(connection, missing) if missing else {}
    none = HitDetails("", [])
    shown = [(hit, hit.details or details.get(hit.id, none)) for hit in hits]
    return tuple(
        SearchHit(
            id=hit.id,
            name=hit.name,
            status=OrganizationStatus(hit.status),
            address=found.address,
            activities=tuple(
                ActivitySummary(section_code=section, activity_type_code=kind, name=name)
                for section, kind, name in found.activities
            ),
            match=hit.match,
        )
        for hit, found in shown
    )


async def plan(connection: AsyncConnection, query: Query) -> tuple[list[ranking.Expansion], Plan]:
    keys, prefix = ranking.dictionary_lookup(query)
    found = await queries.dictionary_matches(connection, keys, prefix, ranking.PREFIX_WORDS)
    expansions = ranking.expand(query, found)
    identified = (
        await queries.identifier_holders(connection, query.identifiers) if query.identifiers else []
    )
    register = await _register_size(connection)
    return expansions, ranking.plan(query, expansions, identified, register)


# How many operators there are, about, and when it was read (monotonic seconds).
_register_size_cache: list[tuple[int, float]] = []
REGISTER_SIZE_TTL_S = 300.0


async def _register_size(connection: AsyncConnection) -> int:
    """The register's size, to tell broad searches from precise ones: read from PostgreSQL's
    statistics at most every five minutes (it only matters to a factor of a few)."""
    now = time.monotonic()
    if not _register_size_cache or now - _register_size_cache[0][1] > REGISTER_SIZE_TTL_S:
        _register_size_cache[:] = [(await queries.operators_in_register(connection), now)]
    return _register_size_cache[0][0]
