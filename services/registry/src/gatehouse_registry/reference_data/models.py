"""Reference data as the rest of the registry sees it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class Country:
    code: str
    name_en: str
    name_sv: str
    eu_member: bool
    eea_member: bool


@dataclass(frozen=True)
class ActivityType:
    code: str
    section_code: str
    name_en: str
    name_sv: str


@dataclass(frozen=True)
class Section:
    code: str
    chapter_code: str | None
    name_en: str
    name_sv: str
    activity_types: tuple[ActivityType, ...]


@dataclass(frozen=True)
class Chapter:
    code: str
    name_en: str
    name_sv: str
    sections: tuple[Section, ...]


@dataclass(frozen=True)
class Authority:
    id: uuid.UUID
    code: str | None
    name: str
    country_code: str
    authority_kind: str
    parent_authority_id: uuid.UUID | None
    chapter_codes: tuple[str, ...]


@dataclass(frozen=True)
class OrganizationSummary:
    """Organic control bodies and other entities that users may ask to join."""

    id: uuid.UUID
    kind: str
    code: str | None
    name: str
    country_code: str
