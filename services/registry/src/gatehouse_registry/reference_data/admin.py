"""Administration commands (run by operations staff, not through the API):

- `load-reference-data FILE.json` adds or updates countries, chapters, sections, activity types,
  authorities (with the border posts they run) and organic control bodies / other entities;
Runs in one transaction (`add-administrator` is roles.administration).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_common.db import Database
from gatehouse_registry.errors import NotFoundError
from gatehouse_registry.reference_data import queries

CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CountryIn(_Strict):
    code: CountryCode
    name_en: Name
    name_sv: Name
    eu_member: bool = False
    eea_member: bool = False


class ChapterIn(_Strict):
    code: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
    name_en: Name
    name_sv: Name
    sort_order: int = 100


class SectionIn(_Strict):
    code: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9 _-]{0,39}$")]
    chapter_code: str | None
    name_en: Name
    name_sv: Name


class ActivityTypeIn(_Strict):
    code: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9 _-]{0,59}$")]
    section_code: str
    name_en: Name
    name_sv: Name


class AuthorityIn(_Strict):
    code: Annotated[str, StringConstraints(min_length=2, max_length=40)]
    name: Name
    country_code: CountryCode
    authority_kind: Literal["central", "local", "border_control_post"]
    parent_code: str | None = None
    chapters: list[str] = Field(default_factory=list)


class OrganizationIn(_Strict):
    code: Annotated[str, StringConstraints(min_length=2, max_length=40)]
    kind: Literal["organic_control_body", "other_entity"]
    name: Name
    country_code: CountryCode
    competent_authority_code: str


class ReferenceData(_Strict):
    countries: list[CountryIn] = Field(default_factory=list)
    chapters: list[ChapterIn] = Field(default_factory=list)
    sections: list[SectionIn] = Field(default_factory=list)
    activity_types: list[ActivityTypeIn] = Field(default_factory=list)
    # In order: a border post's parent must come before it (or exist already).
    authorities: list[AuthorityIn] = Field(default_factory=list)
    organizations: list[OrganizationIn] = Field(default_factory=list)


async def load_reference_data(database: Database, data: ReferenceData) -> dict[str, int]:
    """Upsert everything in `data` (by code); returns how many entries of each kind."""
    async with database.transaction() as connection:
        await queries.upsert_countries(connection, [vars(c) for c in data.countries])
        await queries.upsert_chapters(connection, [vars(c) for c in data.chapters])
        await queries.upsert_sections(connection, [vars(s) for s in data.sections])
        await queries.upsert_activity_types(connection, [vars(t) for t in data.activity_types])
        for authority in data.authorities:
            parent = (
                await _id_of(connection, authority.parent_code, kind="authority")
                if authority.parent_code
                else None
            )
            await queries.upsert_authority(
                connection,
                code=authority.code,
                name=authority.name,
                country_code=authority.country_code,
                authority_kind=authority.authority_kind,
                parent_authority_id=parent,
                chapters=authority.chapters,
            )
        for organization in data.organizations:
            await queries.upsert_organization(
                connection,
                code=organization.code,
                kind=organization.kind,
                name=organization.name,
                country_code=organization.country_code,
                competent_authority_id=await _id_of(
                    connection, organization.competent_authority_code, kind="authority"
                ),
            )
    return {
        "countries": len(data.countries),
        "chapters": len(data.chapters),
        "sections": len(data.sections),
        "activity_types": len(data.activity_types),
        "authorities": len(data.authorities),
        "organizations": len(data.organizations),
    }


async def _id_of(connection: AsyncConnection, code: str, *, kind: str) -> uuid.UUID:
    found = await queries.organization_id_by_code(connection, code, kind=kind)
    if found is None:
        raise NotFoundError(f"no {kind} with code {code!r}")
    return found
