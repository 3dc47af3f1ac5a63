"""The registry pages' texts: `en.json` and `sv.json` here (key → text), read by
gatehouse_common.web_i18n like identity's."""

from __future__ import annotations

from pathlib import Path

from gatehouse_common.web_i18n import Catalogs

PAGE_LANGUAGES = ("en", "sv")
DEFAULT_LANGUAGE = "en"
CATALOGS = Catalogs(Path(__file__).parent, languages=PAGE_LANGUAGES, default=DEFAULT_LANGUAGE)
