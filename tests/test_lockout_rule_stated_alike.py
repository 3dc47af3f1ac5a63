"""The password lockout rule is stated the same way wherever it is stated (issue 13, finding 7).

The README said "five wrong passwords block the account" while, with device cookies, wrong
passwords from browsers the account has never signed in with block only those unknown browsers
(docs/SECURITY.md, the e-mails). Every statement of the rule — README, the threat model, the
sign-in page in both languages — must now say which browsers are blocked.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
I18N = REPO / "services" / "identity" / "src" / "gatehouse_identity" / "i18n"
RULE = re.compile(r"\b(five|5) wrong passwords|\bfem felaktiga lösenord", re.IGNORECASE)
# What each statement must say, in its language: the count is per browser, and browsers the
# account has not signed in with are blocked on their own.
BROWSER_RULE = {
    "en": (re.compile(r"browser"), re.compile(r"unknown|never|not been used")),
    "sv": (re.compile(r"webbläsare"), re.compile(r"okända|inte har använts")),
}


def _blocks(text: str) -> list[str]:
    """Paragraphs, list items and table rows: the unit in which the rule is stated."""
    blocks: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        current: list[str] = []
        for line in paragraph.splitlines():
            if line.startswith(("- ", "|")) and current:
                blocks.append("\n".join(current))
                current = []
            current.append(line)
        blocks.append("\n".join(current))
    return blocks


def _statements() -> list[tuple[str, str, str]]:
    found = [
        (name, "en", block)
        for name in ("README.md", "docs/SECURITY.md")
        for block in _blocks((REPO / name).read_text())
        if RULE.search(block)
    ]
    for language in ("en", "sv"):
        catalog = json.loads((I18N / f"{language}.json").read_text())
        for key, text in catalog.items():
            if RULE.search(text):
                found.append((f"identity i18n {language} {key}", language, text))
    return found


def test_the_rule_is_stated_in_the_readme_the_threat_model_and_the_sign_in_page() -> None:
    sources = {source.split(" ")[0] for source, _, _ in _statements()}
    assert {"README.md", "docs/SECURITY.md", "identity"} <= sources, sources


@pytest.mark.parametrize(
    ("source", "language", "statement"), _statements(), ids=lambda value: str(value)[:40]
)
def test_every_statement_says_which_browsers_are_blocked(
    source: str, language: str, statement: str
) -> None:
    browsers, unknown = BROWSER_RULE[language]
    said = bool(browsers.search(statement) and unknown.search(statement))
    assert said, f"{source} states the rule as:\n{statement}"
