"""Read the reference data: countries, chapters → sections → activity types, authorities.

Reference data is public to every signed-in user (the request pages need it before any role is
held), so these functions take no actor.
"""

from __future__ import annotations

import uuid
from collections import defaultdict

import asyncpg

from gatehouse_common.db import Connection
from gatehouse_registry.reference_data.models import (
    ActivityType,
    Authority,
    Chapter,
    Country,
    OrganizationSummary,
    Section,
)

# Chapter-less sections (IMPORTER, EXPORTER, RFL, …) are listed under this pseudo-chapter, as the
# TRACES form's "No section chapter" choice.
NO_CHAPTER = "none"


async def list_countries(pool: asyncpg.Pool) -> list[Country]:
    rows = await pool.fetch(
        "SELECT code, name_en, name_sv, eu_member, eea_member FROM countries ORDER BY code"
    )
    return [Country(**dict(row)) for row in rows]


async def list_chapters(pool: asyncpg.Pool) -> list[Chapter]:
    """Every chapter with its sections and activity types; chapter-less sections come first
    under the pseudo-chapter `none`."""
    async with pool.acquire() as connection:
        chapters = await connection.fetch(
            "SELECT code, name_en, name_sv FROM chapters ORDER BY sort_order, code"
        )
        sections = await connection.fetch(
            "SELECT code, chapter_code, name_en, name_sv FROM sections ORDER BY code"
        )
        types = await connection.fetch(
            "SELECT code, section_code, name_en, name_sv FROM activity_types ORDER BY code"
        )
    types_by_section: dict[str, list[ActivityType]] = defaultdict(list)
    for row in types:
        types_by_section[row["section_code"]].append(ActivityType(**dict(row)))
    sections_by_chapter: dict[str | None, list[Section]] = defaultdict(list)
    for row in sections:
        sections_by_chapter[row["chapter_code"]].append(
            Section(**dict(row), activity_types=tuple(types_by_section[row["code"]]))
        )
    result = [
        Chapter(
            code=NO_CHAPTER,
            name_en="No section chapter",
            name_sv="Inget avsnittskapitel",
            sections=tuple(sections_by_chapter[None]),
        )
    ]
    result += [
        Chapter(**dict(row), sections=tuple(sections_by_chapter[row["code"]])) for row in chapters
    ]
    return result


AUTHORITY_QUERY = """
SELECT o.id, o.code, o.name, o.country_code, o.authority_kind, o.parent_authority_id,
       coalesce(array_agg(oc.chapter_code ORDER BY oc.chapter_code)
                FILTER (WHERE oc.chapter_code IS NOT NULL), '{}') AS chapter_codes
  FROM organizations o
  LEFT JOIN organization_chapters oc ON oc.organization_id = o.id
 WHERE o.kind = 'authority' AND o.status = 'valid'
"""


def _authority(row: asyncpg.Record) -> Authority:
    return Authority(
        id=row["id"],
        code=row["code"],
        name=row["name"],
        country_code=row["country_code"],
        authority_kind=row["authority_kind"],
        parent_authority_id=row["parent_authority_id"],
        chapter_codes=tuple(row["chapter_codes"]),
    )


async def list_authorities(
    pool: asyncpg.Pool,
    *,
    country_code: str | None = None,
    chapter_code: str | None = None,
    authority_kind: str | None = None,
) -> list[Authority]:
    """Authorities filtered by country, chapter handled and kind (e.g. the border control posts
    a "responsible for the load" request can name)."""
    conditions = []
    arguments: list[object] = []
    if country_code is not None:
        arguments.append(country_code)
        conditions.append(f"o.country_code = ${len(arguments)}")
    if authority_kind is not None:
        arguments.append(authority_kind)
        conditions.append(f"o.authority_kind = ${len(arguments)}")
    if chapter_code is not None and chapter_code != NO_CHAPTER:
        arguments.append(chapter_code)
        conditions.append(
            "EXISTS (SELECT 1 FROM organization_chapters c "
            f"WHERE c.organization_id = o.id AND c.chapter_code = ${len(arguments)})"
        )
    where = "".join(f" AND {condition}" for condition in conditions)
    rows = await pool.fetch(
        f"{AUTHORITY_QUERY}{where} GROUP BY o.id ORDER BY o.country_code, o.name",
        *arguments,
    )
    return [_authority(row) for row in rows]


async def get_authority(connection: Connection, authority_id: uuid.UUID) -> Authority | None:
    row = await connection.fetchrow(
        f"{AUTHORITY_QUERY} AND o.id = $1 GROUP BY o.id",
        authority_id,
    )
    return _authority(row) if row else None


async def list_joinable_organizations(
    pool: asyncpg.Pool, *, kind: str, country_code: str | None = None
) -> list[OrganizationSummary]:
    """Valid organic control bodies, other entities or authorities a user may ask to join."""
    rows = await pool.fetch(
        """SELECT id, kind, code, name, country_code FROM organizations
            WHERE kind = $1 AND status = 'valid' AND ($2::text IS NULL OR country_code = $2)
            ORDER BY country_code, name
            LIMIT 1000""",
        kind,
        country_code,
    )
    return [OrganizationSummary(**dict(row)) for row in rows]


async def country_exists(connection: Connection, code: str) -> bool:
    return bool(await connection.fetchval("SELECT 1 FROM countries WHERE code = $1", code))
