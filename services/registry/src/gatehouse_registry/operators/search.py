"""Operator search: by country, section, activity type and free text, paged.

Free text is matched against `organizations.search_text` — the operator's name and main address
folded by `registry_fold` (lower case, no diacritics: "Göteborg" → "goteborg") — with pg_trgm's
word similarity, so typos ("Gotebrog") still match; a GIN trigram index keeps this fast on a
register of a million operators. The query is built from the filters actually given (values
always as parameters), so PostgreSQL plans each shape with the indexes that fit it.
"""

from __future__ import annotations

import uuid
from collections import defaultdict

import asyncpg

from gatehouse_common.db import Connection
from gatehouse_registry.access import Actor, load_principal
from gatehouse_registry.errors import OutOfRangeError, TooLongError, UnknownChoiceError
from gatehouse_registry.operators.models import (
    ActivitySummary,
    OrganizationStatus,
    SearchHit,
    SearchPage,
)

MAX_PAGE_SIZE = 100
MAX_PAGE = 500
MAX_TEXT = 100
# Counting every match of a broad search over a million rows is the slow part; beyond this the
# page says "more than".
COUNT_CAP = 10_000
# pg_trgm's default (0.6) misses a swapped pair of letters in a short word ("gotebrog"); 0.5 keeps
# such typos while staying selective enough for the index.
WORD_SIMILARITY_THRESHOLD = "0.5"
# Below three characters there are no trigrams to match: a plain substring test is used instead.
MIN_TRIGRAM_TEXT = 3


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def search_operators(
    pool: asyncpg.Pool,
    *,
    actor: Actor,
    country_code: str | None = None,
    section_code: str | None = None,
    activity_type_code: str | None = None,
    text: str | None = None,
    page: int = 1,
    page_size: int = 20,
) -> SearchPage:
    """Operators that are valid or awaiting validation (rejected ones are not offered). Open to
    every signed-in user: searching comes before any role is held."""
    if not 1 <= page <= MAX_PAGE:
        raise OutOfRangeError(field="page", minimum=1, maximum=MAX_PAGE)
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise OutOfRangeError(field="page_size", minimum=1, maximum=MAX_PAGE_SIZE)
    cleaned = " ".join((text or "").split())
    if len(cleaned) > MAX_TEXT:
        raise TooLongError(field="q", max_length=MAX_TEXT)
    async with pool.acquire() as connection, connection.transaction():
        await load_principal(connection, actor)
        await _check_codes(connection, country_code, section_code, activity_type_code)
        conditions = ["o.kind = 'operator'", "o.status <> 'rejected'"]
        arguments: list[object] = []

        def parameter(value: object) -> str:
            arguments.append(value)
            return f"${len(arguments)}"

        score = "0::real"
        if country_code:
            conditions.append(f"o.country_code = {parameter(country_code)}")
        if section_code:
            conditions.append(
                "EXISTS (SELECT 1 FROM activities a WHERE a.organization_id = o.id "
                f"AND a.status <> 'rejected' AND a.section_code = {parameter(section_code)})"
            )
        if activity_type_code:
            conditions.append(
                "EXISTS (SELECT 1 FROM activities a WHERE a.organization_id = o.id "
                "AND a.status <> 'rejected' "
                f"AND a.activity_type_code = {parameter(activity_type_code)})"
            )
        if cleaned:
            await connection.execute(
                "SELECT set_config('pg_trgm.word_similarity_threshold', $1, true)",
                WORD_SIMILARITY_THRESHOLD,
            )
            if len(cleaned) >= MIN_TRIGRAM_TEXT:
                folded = parameter(cleaned)
                conditions.append(f"registry_fold({folded}) <% o.search_text")
                score = f"word_similarity(registry_fold({folded}), o.search_text)"
            else:
                like = parameter(f"%{_escape_like(cleaned)}%")
                conditions.append(f"o.search_text LIKE registry_fold({like})")
        where = " AND ".join(conditions)
        count_limit = parameter(COUNT_CAP + 1)
        total = await connection.fetchval(
            f"SELECT count(*) FROM (SELECT 1 FROM organizations o WHERE {where} "
            f"LIMIT {count_limit}) capped",
            *arguments,
        )
        arguments.pop()  # the count's limit is not used by the page query
        rows = await connection.fetch(
            f"""SELECT o.id, o.name, o.status, {score} AS score,
                       coalesce(m.street || ' ' || m.postal_code || ' ' || m.city || ' '
                                || c.name_en, '') AS address
                  FROM organizations o
                  LEFT JOIN addresses m ON m.organization_id = o.id AND m.is_main
                  LEFT JOIN countries c ON c.code = m.country_code
                 WHERE {where}
                 ORDER BY score DESC, o.name, o.id
                 LIMIT {parameter(page_size)} OFFSET {parameter((page - 1) * page_size)}""",
            *arguments,
        )
        activities = await _activities_of(connection, [row["id"] for row in rows])
    return SearchPage(
        items=tuple(
            SearchHit(
                id=row["id"],
                name=row["name"],
                status=OrganizationStatus(row["status"]),
                address=row["address"],
                activities=tuple(activities.get(row["id"], ())),
            )
            for row in rows
        ),
        page=page,
        page_size=page_size,
        total=min(total, COUNT_CAP),
        total_is_exact=total <= COUNT_CAP,
    )


async def _check_codes(
    connection: Connection,
    country_code: str | None,
    section_code: str | None,
    activity_type_code: str | None,
) -> None:
    checks = (
        ("country", country_code, "SELECT 1 FROM countries WHERE code = $1"),
        ("section", section_code, "SELECT 1 FROM sections WHERE code = $1"),
        ("activity_type", activity_type_code, "SELECT 1 FROM activity_types WHERE code = $1"),
    )
    for field, value, query in checks:
        if value is not None and not await connection.fetchval(query, value):
            raise UnknownChoiceError(f"unknown code {value!r}", field=field)


async def _activities_of(
    connection: Connection, operator_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[ActivitySummary]]:
    rows = await connection.fetch(
        """SELECT a.organization_id, a.section_code, a.activity_type_code, t.name_en
             FROM activities a JOIN activity_types t ON t.code = a.activity_type_code
            WHERE a.organization_id = ANY($1::uuid[]) AND a.status <> 'rejected'
            ORDER BY a.created_at, a.id""",
        operator_ids,
    )
    result: dict[uuid.UUID, list[ActivitySummary]] = defaultdict(list)
    for row in rows:
        result[row["organization_id"]].append(
            ActivitySummary(
                section_code=row["section_code"],
                activity_type_code=row["activity_type_code"],
                name=row["name_en"],
            )
        )
    return result
