"""Page texts in English and Swedish (JSON catalogs in i18n/), and choosing the page language
(the generic part lives in gatehouse_common.web_i18n, shared with the registry)."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request

from gatehouse_common import web_i18n
from gatehouse_common.web_i18n import LANGUAGE_COOKIE
from gatehouse_identity.languages import DEFAULT_LANGUAGE, PAGE_LANGUAGES

__all__ = ["CATALOG_DIR", "LANGUAGE_COOKIE", "Translator", "catalog", "page_language"]

CATALOG_DIR = Path(__file__).parent.parent / "i18n"
CATALOGS = web_i18n.Catalogs(CATALOG_DIR, languages=PAGE_LANGUAGES, default=DEFAULT_LANGUAGE)


def catalog(language: str) -> dict[str, str]:
    return CATALOGS.texts(language)


class Translator(web_i18n.Translator):
    def __init__(self, language: str) -> None:
        super().__init__(language, catalog(language), catalog(DEFAULT_LANGUAGE))


def page_language(request: Request) -> str:
    """?lang= first (the language switch), then the remembered choice, then the browser's."""
    return CATALOGS.page_language(request)
