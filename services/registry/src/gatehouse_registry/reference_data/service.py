"""Read the reference data: countries, chapters → sections → activity types, authorities.

Reference data is public to every signed-in user (the request pages need it before any role is
held), so these functions take no actor. The SQL is in reference_data.queries.
"""

from __future__ import annotations

from collections import defaultdict

from gatehouse_common.db import Database
from gatehouse_registry.reference_data import queries
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


async def list_countries(database: Database) -> list[Country]:
    async with database.connection() as connection:
        return await queries.all_countries(connection)


async def list_chapters(database: Database) -> list[Chapter]:
    """Every chapter with its sections and activity types; chapter-less sections come first
    under the pseudo-chapter `none`."""
    async with database.connection() as connection:
        chapters = await queries.all_chapters(connection)
        sections = await queries.all_sections(connection)
        types = await queries.all_activity_types(connection)
    types_by_section: dict[str, list[ActivityType]] = defaultdict(list)
    for kind in types:
        types_by_section[kind.section_code].append(kind)
    sections_by_chapter: dict[str | None, list[Section]] = defaultdict(list)
    for section in sections:
        sections_by_chapter[section.chapter_code].append(
            Section(
                code=section.code,
                chapter_code=section.chapter_code,
                name_en=section.name_en,
                name_sv=section.name_sv,
                activity_types=tuple(types_by_section[section.code]),
            )
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
        Chapter(
            code=chapter.code,
            name_en=chapter.name_en,
            name_sv=chapter.name_sv,
            sections=tuple(sections_by_chapter[chapter.code]),
        )
        for chapter in chapters
    ]
    return result


async def list_authorities(
    database: Database,
    *,
    country_code: str | None = None,
    chapter_code: str | None = None,
    authority_kind: str | None = None,
) -> list[Authority]:
    """Authorities filtered by country, chapter handled and kind (e.g. the border control posts
    a "responsible for the load" request can name); the pseudo-chapter `none` filters nothing."""
    async with database.connection() as connection:
        return await queries.authorities(
            connection,
            country_code=country_code,
            chapter_code=None if chapter_code == NO_CHAPTER else chapter_code,
            authority_kind=authority_kind,
        )


async def list_joinable_organizations(
    database: Database, *, kind: str, country_code: str | None = None
) -> list[OrganizationSummary]:
    """Valid organic control bodies, other entities or authorities a user may ask to join."""
    async with database.connection() as connection:
        return await queries.joinable_organizations(
            connection, kind=kind, country_code=country_code
        )
