"""The SQL of reference data: countries, chapters, sections, activity types, authorities and the
organizations users may join."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by, array, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_registry.reference_data.models import (
    ActivityType,
    Authority,
    Country,
    OrganizationSummary,
)
from gatehouse_registry.tables import (
    activity_types,
    chapters,
    countries,
    organization_chapters,
    organizations,
    sections,
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


async def all_countries(connection: AsyncConnection) -> list[Country]:
    rows = await connection.execute(select(countries).order_by(countries.c.code))
    return [Country(**row._asdict()) for row in rows]


async def country_exists(connection: AsyncConnection, code: str) -> bool:
    return bool(await connection.scalar(select(exists().where(countries.c.code == code))))


async def all_chapters(connection: AsyncConnection) -> list[ChapterRow]:
    rows = await connection.execute(
        select(chapters.c.code, chapters.c.name_en, chapters.c.name_sv).order_by(
            chapters.c.sort_order, chapters.c.code
        )
    )
    return [ChapterRow(**row._asdict()) for row in rows]


_SECTION = select(sections.c.code, sections.c.chapter_code, sections.c.name_en, sections.c.name_sv)


async def all_sections(connection: AsyncConnection) -> list[SectionRow]:
    rows = await connection.execute(_SECTION.order_by(sections.c.code))
    return [SectionRow(**row._asdict()) for row in rows]


async def all_activity_types(connection: AsyncConnection) -> list[ActivityType]:
    rows = await connection.execute(select(activity_types).order_by(activity_types.c.code))
    return [ActivityType(**row._asdict()) for row in rows]


async def section(connection: AsyncConnection, code: str) -> SectionRow | None:
    row = (await connection.execute(_SECTION.where(sections.c.code == code))).first()
    return SectionRow(**row._asdict()) if row else None


async def activity_type_in_section(
    connection: AsyncConnection, code: str, *, section_code: str
) -> bool:
    return bool(
        await connection.scalar(
            select(
                exists().where(
                    activity_types.c.code == code, activity_types.c.section_code == section_code
                )
            )
        )
    )


def _authority_query() -> Select[Any]:
    chapter_codes = func.coalesce(
        func.array_agg(
            aggregate_order_by(
                organization_chapters.c.chapter_code, organization_chapters.c.chapter_code
            )
        ).filter(organization_chapters.c.chapter_code.is_not(None)),
        array([], type_=organization_chapters.c.chapter_code.type),
    )
    return (
        select(
            organizations.c.id,
            organizations.c.code,
            organizations.c.name,
            organizations.c.country_code,
            organizations.c.authority_kind,
            organizations.c.parent_authority_id,
            chapter_codes.label("chapter_codes"),
        )
        .outerjoin(
            organization_chapters,
            organization_chapters.c.organization_id == organizations.c.id,
        )
        .where(organizations.c.kind == "authority", organizations.c.status == "valid")
        .group_by(organizations.c.id)
    )


def _authority(row: Any) -> Authority:
    return Authority(**{**row._asdict(), "chapter_codes": tuple(row.chapter_codes)})


async def authorities(
    connection: AsyncConnection,
    *,
    country_code: str | None,
    chapter_code: str | None,
    authority_kind: str | None,
) -> list[Authority]:
    """Valid authorities, each filter applied when given (so that PostgreSQL plans each shape
    with the index that fits it)."""
    query = _authority_query()
    if country_code is not None:
        query = query.where(organizations.c.country_code == country_code)
    if authority_kind is not None:
        query = query.where(organizations.c.authority_kind == authority_kind)
    if chapter_code is not None:
        handled = organization_chapters.alias("handled")
        query = query.where(
            exists().where(
                handled.c.organization_id == organizations.c.id,
                handled.c.chapter_code == chapter_code,
            )
        )
    rows = await connection.execute(
        query.order_by(organizations.c.country_code, organizations.c.name)
    )
    return [_authority(row) for row in rows]


async def authority(connection: AsyncConnection, authority_id: uuid.UUID) -> Authority | None:
    row = (
        await connection.execute(_authority_query().where(organizations.c.id == authority_id))
    ).first()
    return _authority(row) if row else None


async def joinable_organizations(
    connection: AsyncConnection, *, kind: str, country_code: str | None
) -> list[OrganizationSummary]:
    query = select(
        organizations.c.id,
        organizations.c.kind,
        organizations.c.code,
        organizations.c.name,
        organizations.c.country_code,
    ).where(organizations.c.kind == kind, organizations.c.status == "valid")
    if country_code is not None:
        query = query.where(organizations.c.country_code == country_code)
    rows = await connection.execute(
        query.order_by(organizations.c.country_code, organizations.c.name).limit(1000)
    )
    return [OrganizationSummary(**row._asdict()) for row in rows]


# --- loading reference data (the operations command) -----------------------------------------


async def _upsert(
    connection: AsyncConnection,
    table: Any,
    rows: list[dict[str, Any]],
    *,
    key: str,
    keep: tuple[str, ...] = (),
) -> None:
    """Insert the rows; those whose `key` exists already get their other columns updated, but
    those in `keep`."""
    if not rows:
        return
    statement = insert(table)
    await connection.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c[key]],
            set_={
                column: statement.excluded[column]
                for column in rows[0]
                if column != key and column not in keep
            },
        ),
        rows,
    )


async def upsert_countries(connection: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    await _upsert(connection, countries, rows, key="code")


async def upsert_chapters(connection: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    await _upsert(connection, chapters, rows, key="code")


async def upsert_sections(connection: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    await _upsert(connection, sections, rows, key="code")


async def upsert_activity_types(connection: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    # An activity type keeps its section: activities refer to the pair.
    await _upsert(connection, activity_types, rows, key="code", keep=("section_code",))


async def organization_id_by_code(
    connection: AsyncConnection, code: str, *, kind: str
) -> uuid.UUID | None:
    found: uuid.UUID | None = await connection.scalar(
        select(organizations.c.id).where(organizations.c.code == code, organizations.c.kind == kind)
    )
    return found


async def upsert_authority(
    connection: AsyncConnection,
    *,
    code: str,
    name: str,
    country_code: str,
    authority_kind: str,
    parent_authority_id: uuid.UUID | None,
    chapters: list[str],
) -> uuid.UUID:
    """A valid authority by its code, and the chapters it handles (replacing those it had)."""
    statement = insert(organizations).values(
        id=uuid.uuid4(),
        kind="authority",
        name=name,
        country_code=country_code,
        status="valid",
        code=code,
        authority_kind=authority_kind,
        parent_authority_id=parent_authority_id,
    )
    authority_id: uuid.UUID = await connection.scalar(
        statement.on_conflict_do_update(
            index_elements=[organizations.c.code],
            set_={
                column: statement.excluded[column]
                for column in (
                    "name",
                    "country_code",
                    "authority_kind",
                    "parent_authority_id",
                )
            },
        ).returning(organizations.c.id)
    )
    await connection.execute(
        organization_chapters.delete().where(
            organization_chapters.c.organization_id == authority_id
        )
    )
    if chapters:
        await connection.execute(
            organization_chapters.insert(),
            [{"organization_id": authority_id, "chapter_code": chapter} for chapter in chapters],
        )
    return authority_id


async def upsert_organization(
    connection: AsyncConnection,
    *,
    code: str,
    kind: str,
    name: str,
    country_code: str,
    competent_authority_id: uuid.UUID,
) -> None:
    """A valid organic control body or other entity by its code."""
    statement = insert(organizations).values(
        id=uuid.uuid4(),
        kind=kind,
        name=name,
        country_code=country_code,
        status="valid",
        code=code,
        competent_authority_id=competent_authority_id,
    )
    await connection.execute(
        statement.on_conflict_do_update(
            index_elements=[organizations.c.code],
            set_={
                column: statement.excluded[column]
                for column in ("name", "country_code", "competent_authority_id")
            },
        )
    )
