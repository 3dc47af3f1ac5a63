"""The weak-password message says which rule failed (issue 14, point 10), in both languages."""

from __future__ import annotations

import pytest

from gatehouse_identity.accounts.errors import WeakPasswordError
from gatehouse_identity.accounts.passwords import check_password_rule
from gatehouse_identity.web.i18n import Translator


@pytest.mark.parametrize(
    ("password", "code", "says"),
    [
        (
            "Kort#1a",
            "password_too_short",
            {"sv": "minst 10 tecken", "en": "at least 10 characters"},
        ),
        (
            "tullverket#2025",
            "password_needs_upper_case",
            {"sv": "stor bokstav", "en": "upper-case"},
        ),
        (
            "TULLVERKET#2025",
            "password_needs_lower_case",
            {"sv": "liten bokstav", "en": "lower-case"},
        ),
        ("Tullverket#kod", "password_needs_digit", {"sv": "siffra", "en": "digit"}),
        (
            "Tullverket2025",
            "password_needs_special_character",
            {"sv": "specialtecken", "en": "special"},
        ),
    ],
)
def test_the_sentence_names_the_rule_that_failed(
    password: str, code: str, says: dict[str, str]
) -> None:
    with pytest.raises(WeakPasswordError) as raised:
        check_password_rule(password)
    assert raised.value.code == code
    for language, words in says.items():
        sentence = Translator(language).error(raised.value)
        assert words in sentence, (language, sentence)
