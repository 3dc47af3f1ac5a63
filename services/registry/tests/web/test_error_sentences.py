"""Every domain error a person can meet has a sentence of its own in Swedish and in English, looked
up by the error's code: a new code without its sentences fails here, not on a page in production
(where the English message would show instead)."""

from __future__ import annotations

import string

import pytest

import gatehouse_registry.app  # noqa: F401  (imports every capability, so every error class)
from gatehouse_common.errors import error_codes
from gatehouse_registry.errors import RegistryError
from gatehouse_registry.web.i18n import CATALOGS, PAGE_LANGUAGES

CODES = sorted(error_codes(RegistryError))


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("language", PAGE_LANGUAGES)
def test_every_error_code_has_a_sentence(language: str) -> None:
    texts = CATALOGS.texts(language)
    missing = [code for code in CODES if f"error.{code}" not in texts]
    assert not missing, f"no {language} sentence for: {missing}"


@pytest.mark.parametrize("code", CODES)
def test_each_sentence_is_a_translated_sentence(code: str) -> None:
    english, swedish = (CATALOGS.texts(language)[f"error.{code}"] for language in ("en", "sv"))
    assert english != swedish, "not translated"
    for text in (english, swedish):
        assert text[:1].isupper(), text
        assert text.endswith((".", "!", "?")), text
    assert placeholders(english) == placeholders(swedish)
