"""The security activity names the browser as a person recognises it, not the raw User-Agent."""

from __future__ import annotations

from gatehouse_identity.web.activity_pages import UNKNOWN_AGENT_CHARS, readable_browser

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)


def test_a_known_browser_is_named_with_its_system() -> None:
    assert readable_browser(CHROME) == "Chrome 120, Windows 10"


def test_an_unknown_agent_shows_its_start_and_nothing_is_shown_for_none() -> None:
    odd = "GatehouseAuditTest/1.0 (" + "x" * 400 + ")"
    assert readable_browser(odd) == odd[:UNKNOWN_AGENT_CHARS]
    assert readable_browser(None) == ""
