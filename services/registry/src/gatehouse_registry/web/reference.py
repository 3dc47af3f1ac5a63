"""Reference data as the pages show it: countries and chapters → sections → activity types looked
up by code, and names in the page's language."""

from __future__ import annotations

from dataclasses import dataclass

from gatehouse_common.db import Database
from gatehouse_registry.reference_data import service as reference_data
from gatehouse_registry.reference_data.models import ActivityType, Chapter, Country, Section
from gatehouse_registry.web.rendering import Page


@dataclass(frozen=True)
class Reference:
    """Countries and chapters → sections → activity types, looked up by code."""

    countries: list[Country]
    chapters: list[Chapter]

    @classmethod
    async def load(cls, database: Database) -> Reference:
        return cls(
            countries=await reference_data.list_countries(database),
            chapters=await reference_data.list_chapters(database),
        )

    @property
    def country_codes(self) -> set[str]:
        return {country.code for country in self.countries}

    def chapter(self, code: str) -> Chapter | None:
        return next((c for c in self.chapters if c.code == code), None)

    def section(self, code: str) -> tuple[Chapter, Section] | None:
        for chapter in self.chapters:
            for section in chapter.sections:
                if section.code == code:
                    return chapter, section
        return None

    def activity_type(self, code: str) -> ActivityType | None:
        for chapter in self.chapters:
            for section in chapter.sections:
                for kind in section.activity_types:
                    if kind.code == code:
                        return kind
        return None


def local_name(page: Page, item: Chapter | Section | ActivityType | Country) -> str:
    return item.name_sv if page.t.language == "sv" else item.name_en


def local_address(page: Page, reference: Reference, address: str) -> str:
    """Search answers the main address with the country's English name; in Swedish, Swedish."""
    if page.t.language != "en":
        for country in reference.countries:
            if address.endswith(f" {country.name_en}"):
                return address.removesuffix(country.name_en) + local_name(page, country)
    return address
