"""Page texts for server-rendered pages: JSON catalogs (one file per language, key → text) and the
choice of a page's language. Each service keeps its own catalogs and languages:

    CATALOGS = Catalogs(Path(__file__).parent / "i18n", languages=("en", "sv"), default="en")
    t = CATALOGS.translator(CATALOGS.page_language(request))
    t("login.title"), t("signup.sent.message", email=address)
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from starlette.requests import Request

from gatehouse_common.errors import DomainError

# The language switch's remembered choice (one cookie per site, so services do not share it).
LANGUAGE_COOKIE = "gatehouse_lang"


class Translator:
    """`t(key, **values)`: the text in `language`, else in the default language, else the key;
    `{name}` placeholders are filled from `values`."""

    def __init__(
        self, language: str, texts: Mapping[str, str], fallback: Mapping[str, str]
    ) -> None:
        self.language = language
        self._texts = texts
        self._fallback = fallback

    def __call__(self, key: str, **values: object) -> str:
        text = self._texts.get(key) or self._fallback.get(key) or key
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in self._texts or key in self._fallback

    def error(self, error: DomainError) -> str:
        """The visible sentence of a domain error: catalog key `error.<code>`, filled from the
        error's params. A code without a sentence is a bug that a test per service catches; the
        English message is the last resort so a person still reads something."""
        text = self._texts.get(f"error.{error.code}") or self._fallback.get(f"error.{error.code}")
        if text is None:
            return error.message
        return text.format(**error.params) if error.params else text

    def message(self, text: str) -> str:
        """A domain error's English message in this language (catalog key `message:<text>`),
        or the message itself where no translation exists."""
        return self._texts.get(f"message:{text}") or text


def choose_language(request: Request, languages: Sequence[str], default: str) -> str:
    """?lang= first (the language switch), then the remembered choice, then the browser's."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if candidate is not None and candidate in languages:
            return candidate
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip()[:2].lower()
        if code in languages:
            return code
    return default


class Catalogs:
    """A service's catalogs: `<directory>/<language>.json`, read once."""

    def __init__(self, directory: Path, *, languages: Sequence[str], default: str) -> None:
        self.directory = directory
        self.languages = tuple(languages)
        self.default = default
        self._loaded: dict[str, dict[str, str]] = {}

    def texts(self, language: str) -> dict[str, str]:
        if language not in self._loaded:
            path = self.directory / f"{language}.json"
            self._loaded[language] = json.loads(path.read_text("utf-8"))
        return self._loaded[language]

    def translator(self, language: str) -> Translator:
        return Translator(language, self.texts(language), self.texts(self.default))

    def page_language(self, request: Request) -> str:
        return choose_language(request, self.languages, self.default)
