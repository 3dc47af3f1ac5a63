"""Page texts in English and Swedish (JSON catalogs in i18n/), and choosing the page language."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from starlette.requests import Request

from gatehouse_identity.languages import DEFAULT_LANGUAGE, PAGE_LANGUAGES

CATALOG_DIR = Path(__file__).parent.parent / "i18n"
LANGUAGE_COOKIE = "gatehouse_lang"


@cache
def catalog(language: str) -> dict[str, str]:
    texts: dict[str, str] = json.loads((CATALOG_DIR / f"{language}.json").read_text("utf-8"))
    return texts


class Translator:
    def __init__(self, language: str) -> None:
        self.language = language
        self._texts = catalog(language)
        self._fallback = catalog(DEFAULT_LANGUAGE)

    def __call__(self, key: str, **values: object) -> str:
        text = self._texts.get(key) or self._fallback.get(key) or key
        return text.format(**values) if values else text


def page_language(request: Request) -> str:
    """?lang= first (the language switch), then the remembered choice, then the browser's."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if candidate in PAGE_LANGUAGES:
            return candidate
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip()[:2].lower()
        if code in PAGE_LANGUAGES:
            return code
    return DEFAULT_LANGUAGE
