"""The SQL of reference data: countries, chapters, sections, activity types, authorities and the
organizations users may join."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from gatehouse_common.db import Connection
from gatehouse_registry.reference_data.models import (
    ActivityType,
    Authority,
    Country,
    OrganizationSummary,
)


@dataclass(frozen=True)
class ChapterRow:
    code: str
    name_en: str
    name_sv: str


@dataclass(frozen=True)
class SectionRow:
    code: str
    chapter_code: str | None
    name_en: str
    name_sv: str


async def countries(connection: Connection) -> list[Country]:
    rows = await connection.fetch(
        "SELECT code, name_en, name_sv, eu_member, eea_member FROM countries ORDER BY code"
    )
    return [Country(**dict(row)) for row in rows]


async def country_exists(connection: Connection, code: str) -> bool:
    return bool(await connection.fetchval("SELECT 1 FROM countries WHERE code = $1", code))


async def chapters(connection: Connection) -> list[ChapterRow]:
    rows = await connection.fetch(
        "SELECT code, name_en, name_sv FROM chapters ORDER BY sort_order, code"
    )
    return [ChapterRow(**dict(row)) for row in rows]


async def sections(connection: Connection) -> list[SectionRow]:
    rows = await connection.fetch(
        "SELECT code, chapter_code, name_en, name_sv FROM sections ORDER BY code"
    )
    return [SectionRow(**dict(row)) for row in rows]


async def activity_types(connection: Connection) -> list[ActivityType]:
    rows = await connection.fetch(
        "SELECT code, section_code, name_en, name_sv FROM activity_types ORDER BY code"
    )
    return [ActivityType(**dict(row)) for row in rows]


async def section(connection: Connection, code: str) -> SectionRow | None:
    row = await connection.fetchrow(
        "SELECT code, chapter_code, name_en, name_sv FROM sections WHERE code = $1", code
    )
    return SectionRow(**dict(row)) if row else None


async def activity_type_in_section(connection: Connection, code: str, *, section_code: str) -> bool:
    return bool(
        await connection.fetchval(
            "SELECT 1 FROM activity_types WHERE code = $1 AND section_code = $2",
            code,
            section_code,
        )
    )


AUTHORITY_QUERY = """
SELECT o.id, o.code, o.name, o.country_code, o.authority_kind, o.parent_authority_id,
       coalesce(array_agg(oc.chapter_code ORDER BY oc.chapter_code)
                FILTER (WHERE oc.chapter_code IS NOT NULL), '{}') AS chapter_codes
  FROM organizations o
  LEFT JOIN organization_chapters oc ON oc.organization_id = o.id
 WHERE o.kind = 'authority' AND o.status = 'valid'
"""


def _authority(row: Any) -> Authority:
    return Authority(
        id=row["id"],
        code=row["code"],
        name=row["name"],
        country_code=row["country_code"],
        authority_kind=row["authority_kind"],
        parent_authority_id=row["parent_authority_id"],
        chapter_codes=tuple(row["chapter_codes"]),
    )


async def authorities(
    connection: Connection,
    *,
    country_code: str | None,
    chapter_code: str | None,
    authority_kind: str | None,
) -> list[Authority]:
    """Valid authorities, each filter applied when given; the query is built from the filters
    given so that PostgreSQL plans each shape with the index that fits it."""
    conditions = []
    arguments: list[object] = []
    if country_code is not None:
        arguments.append(country_code)
        conditions.append(f"o.country_code = ${len(arguments)}")
    if authority_kind is not None:
        arguments.append(authority_kind)
        conditions.append(f"o.authority_kind = ${len(arguments)}")
    if chapter_code is not None:
        arguments.append(chapter_code)
        conditions.append(
            "EXISTS (SELECT 1 FROM organization_chapters c "
            f"WHERE c.organization_id = o.id AND c.chapter_code = ${len(arguments)})"
        )
    where = "".join(f" AND {condition}" for condition in conditions)
    rows = await connection.fetch(
        f"{AUTHORITY_QUERY}{where} GROUP BY o.id ORDER BY o.country_code, o.name", *arguments
    )
    return [_authority(row) for row in rows]


async def authority(connection: Connection, authority_id: uuid.UUID) -> Authority | None:
    row = await connection.fetchrow(f"{AUTHORITY_QUERY} AND o.id = $1 GROUP BY o.id", authority_id)
    return _authority(row) if row else None


async def joinable_organizations(
    connection: Connection, *, kind: str, country_code: str | None
) -> list[OrganizationSummary]:
    rows = await connection.fetch(
        """SELECT id, kind, code, name, country_code FROM organizations
            WHERE kind = $1 AND status = 'valid' AND ($2::text IS NULL OR country_code = $2)
            ORDER BY country_code, name
            LIMIT 1000""",
        kind,
        country_code,
    )
    return [OrganizationSummary(**dict(row)) for row in rows]
