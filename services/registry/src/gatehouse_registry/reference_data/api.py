"""Reference data JSON API: what the request and create-operator forms offer."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from gatehouse_registry.dependencies import AUTH_RESPONSES, CurrentUser, DatabaseIn
from gatehouse_registry.reference_data import service

router = APIRouter(prefix="/api/v1", tags=["reference data"], responses=AUTH_RESPONSES)

CountryCode = Annotated[str, Query(pattern=r"^[A-Z]{2}$")]


class CountryResponse(BaseModel):
    code: str
    name_en: str
    name_sv: str
    eu_member: bool
    eea_member: bool


class ActivityTypeResponse(BaseModel):
    code: str
    name_en: str
    name_sv: str


class SectionResponse(BaseModel):
    code: str
    name_en: str
    name_sv: str
    activity_types: list[ActivityTypeResponse]


class ChapterResponse(BaseModel):
    code: str
    name_en: str
    name_sv: str
    sections: list[SectionResponse]


class AuthorityResponse(BaseModel):
    id: uuid.UUID
    code: str | None
    name: str
    country_code: str
    authority_kind: str
    parent_authority_id: uuid.UUID | None
    chapter_codes: list[str]


class OrganizationResponse(BaseModel):
    id: uuid.UUID
    kind: str
    code: str | None
    name: str
    country_code: str


@router.get("/countries", summary="Every ISO 3166 country")
async def list_countries(database: DatabaseIn, _user: CurrentUser) -> list[CountryResponse]:
    return [CountryResponse(**vars(c)) for c in await service.list_countries(database)]


@router.get("/chapters", summary="Chapters with their sections and activity types")
async def list_chapters(database: DatabaseIn, _user: CurrentUser) -> list[ChapterResponse]:
    return [
        ChapterResponse(
            code=chapter.code,
            name_en=chapter.name_en,
            name_sv=chapter.name_sv,
            sections=[
                SectionResponse(
                    code=section.code,
                    name_en=section.name_en,
                    name_sv=section.name_sv,
                    activity_types=[
                        ActivityTypeResponse(code=t.code, name_en=t.name_en, name_sv=t.name_sv)
                        for t in section.activity_types
                    ],
                )
                for section in chapter.sections
            ],
        )
        for chapter in await service.list_chapters(database)
    ]


@router.get(
    "/authorities",
    summary="Competent authorities by country, chapter and kind (e.g. border control posts)",
)
async def list_authorities(
    database: DatabaseIn,
    _user: CurrentUser,
    country: CountryCode | None = None,
    chapter: Annotated[str | None, Query(max_length=40)] = None,
    kind: Literal["central", "local", "border_control_post"] | None = None,
) -> list[AuthorityResponse]:
    authorities = await service.list_authorities(
        database, country_code=country, chapter_code=chapter, authority_kind=kind
    )
    return [
        AuthorityResponse(**{**vars(a), "chapter_codes": list(a.chapter_codes)})
        for a in authorities
    ]


@router.get("/organizations", summary="Control bodies, other entities or authorities to join")
async def list_organizations(
    database: DatabaseIn,
    _user: CurrentUser,
    kind: Literal["organic_control_body", "other_entity", "authority"],
    country: CountryCode | None = None,
) -> list[OrganizationResponse]:
    found = await service.list_joinable_organizations(database, kind=kind, country_code=country)
    return [OrganizationResponse(**vars(o)) for o in found]
