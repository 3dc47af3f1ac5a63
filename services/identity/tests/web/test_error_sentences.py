"""Every domain error identity can raise has a sentence for people, in Swedish and English
(`error.<code>` in i18n/*.json), and pages show that sentence, never the developer's message."""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from pathlib import Path

import pytest

import gatehouse_identity
from gatehouse_common.errors import error_codes
from gatehouse_identity.errors import IdentityError
from gatehouse_identity.mfa.errors import PinsDifferError, SmsWithdrawnError, TotpCodeWrongError
from gatehouse_identity.web.i18n import Translator

CATALOGS = Path(gatehouse_identity.__file__).parent / "i18n"
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _import_every_module() -> None:
    """Error classes are declared beside their services: import them all to see every code."""
    for module in pkgutil.walk_packages(gatehouse_identity.__path__, "gatehouse_identity."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)


def _catalog(language: str) -> dict[str, str]:
    catalog: dict[str, str] = json.loads((CATALOGS / f"{language}.json").read_text("utf-8"))
    return catalog


def _codes() -> list[str]:
    _import_every_module()
    return sorted(error_codes(IdentityError))


@pytest.mark.parametrize("language", ["en", "sv"])
def test_every_error_code_has_a_sentence(language: str) -> None:
    catalog = _catalog(language)
    missing = [code for code in _codes() if not catalog.get(f"error.{code}")]
    assert missing == [], f"codes without a sentence in {language}.json"


def test_there_are_codes_to_check() -> None:
    # The walk above must really find the capabilities' errors, or the test proves nothing.
    assert {"credentials_wrong", "totp_code_wrong", "sms_withdrawn", "eid_failed"} <= set(_codes())


@pytest.mark.parametrize("code", _codes())
def test_sentences_are_sentences_for_people_in_both_languages(code: str) -> None:
    english, swedish = _catalog("en")[f"error.{code}"], _catalog("sv")[f"error.{code}"]
    for sentence in (english, swedish):
        assert sentence[0].isupper(), sentence
        assert sentence.rstrip("”").endswith((".", "!")), sentence
    # The same values are filled into both languages.
    assert set(PLACEHOLDER.findall(english)) == set(PLACEHOLDER.findall(swedish))
    assert english != swedish


def test_a_page_shows_the_sentence_of_the_code_not_the_message() -> None:
    wrong = TotpCodeWrongError("the code is wrong: type the code the app shows now", field="code")
    assert Translator("sv").error(wrong) == _catalog("sv")["error.totp_code_wrong"]
    assert "the app shows now" not in Translator("en").error(wrong)
    differ = PinsDifferError("the two PINs are not the same", field="pin_confirmation")
    assert Translator("en").error(differ) == _catalog("en")["error.pins_differ"]


def test_params_are_filled_into_the_sentence() -> None:
    withdrawn = SmsWithdrawnError("SMS withdrawn", field="method", sms_sunset_date="2025-06-30")
    assert "2025-06-30" in Translator("sv").error(withdrawn)
    assert "{" not in Translator("en").error(withdrawn)
