"""No untranslated text on Swedish pages: every identity page, rendered in Swedish, shows none of
the English texts of the catalog (i18n/en.json values that differ from sv.json), and no English
sentence from elsewhere either (an error message passed through from the code: a line with two or
more English function words that Swedish does not use)."""

from __future__ import annotations

import pytest

from tests.browser.support import (
    english_on,
    english_only_fragments,
    english_sentences,
    texts,
)
from tests.browser.tour import PageRecord

pytestmark = [pytest.mark.browser, pytest.mark.stack]


def test_catalogs_have_the_same_keys() -> None:
    english, swedish = texts("en"), texts("sv")
    assert sorted(set(english) - set(swedish)) == [], "keys missing from sv.json"
    assert sorted(set(swedish) - set(english)) == [], "keys missing from en.json"


def test_fragment_search_finds_english() -> None:
    fragments = english_only_fragments(texts("en"), texts("sv"))
    assert english_on("Forgot your password?", fragments)
    assert not english_on(texts("sv")["login.forgot"], fragments)
    assert english_sentences("String should have at least 1 character")
    assert not english_sentences("\n".join(texts("sv").values()))


def test_swedish_pages_show_no_english(phone_tour: list[PageRecord]) -> None:
    """Every page of the tour (tour.py), shown in Swedish."""
    fragments = english_only_fragments(texts("en"), texts("sv"))
    found: list[str] = []
    for record in phone_tour:
        where = f"{record.name} ({record.path})"
        if record.lang != "sv":
            found.append(f"{where}: <html lang={record.lang!r}>")
        found.extend(f"{where}: {hit}" for hit in english_on(record.text, fragments))
        found.extend(f"{where}: {line!r}" for line in english_sentences(record.text))
    assert len(phone_tour) > 30, [record.name for record in phone_tour]
    assert not found, "English text on Swedish pages:\n" + "\n".join(found)
