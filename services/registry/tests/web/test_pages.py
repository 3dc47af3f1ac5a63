"""Every page renders in Swedish and English, with the security headers, a CSRF token in every
form that posts, labelled fields, and — in Swedish — none of the English catalog's texts."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from gatehouse_common.web_security import CSRF_FIELD
from gatehouse_registry.web.i18n import CATALOGS

from .conftest import Visitor, World, parse

WEB = Path(__file__).parents[2] / "src" / "gatehouse_registry" / "web"
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
MIN_FRAGMENT = 4


def english_only_fragments() -> dict[str, str]:
    """Fragment → key, for every English text that is not also (part of) a Swedish one."""
    english, swedish = CATALOGS.texts("en"), CATALOGS.texts("sv")
    swedish_values = set(swedish.values())
    found: dict[str, str] = {}
    for key, value in english.items():
        if swedish.get(key) == value:
            continue
        for piece in PLACEHOLDER.split(value):
            fragment = piece.strip(" .,:;()\"'–-+…")
            if len(fragment) >= MIN_FRAGMENT and not any(
                fragment in text for text in swedish_values
            ):
                found[fragment] = key
    return found


def english_on(text: str, fragments: dict[str, str]) -> list[str]:
    return [
        f"{key}: {fragment!r}"
        for fragment, key in fragments.items()
        if re.search(rf"(?<!\w){re.escape(fragment)}(?!\w)", text)
    ]


def pages_of(world: World) -> list[tuple[str, str, dict[str, str]]]:
    """(actor, path, query) of every page, as the person who uses it."""
    return [
        ("anonymous", "/", {}),
        ("nobody", "/request-authorisation", {}),
        ("bertil", "/request-authorisation", {}),
        ("nobody", "/request-authorisation/operator", {}),
        ("nobody", "/request-authorisation/operator", {"country": "SE", "q": "äppelgården"}),
        ("nobody", "/request-authorisation/operator", {"country": "SE", "q": "Finns Inte"}),
        ("nobody", "/request-authorisation/organic-control-body", {}),
        ("nobody", "/request-authorisation/authority", {}),
        ("nobody", "/request-authorisation/other-entity", {}),
        ("nobody", "/request-authorisation/apply", {"organization_id": str(world.operator)}),
        ("nobody", "/request-authorisation/operator/new", {"country": "SE", "q": "Nytt AB"}),
        ("anna", "/profile", {}),
        ("anna", "/profile/new-role", {}),
        ("anna", "/profile/my-data", {}),
        ("nobody", "/profile/my-data", {}),
        ("anna", "/profile/new-role/responsible-for-load", {}),
        ("nobody", "/profile/new-role/responsible-for-load", {}),
        ("anna", "/actors/users", {}),
        ("anna", "/actors/users", {"status": "pending"}),
        ("anna", "/actors/users", {"status": "approved"}),
        ("anna", f"/actors/users/{world.users['bertil'].user_id}", {}),
        ("anna", f"/operators/{world.operator}", {}),
        ("authority", f"/operators/{world.operator}", {}),
        ("authority", "/authority/operators", {"q": "lunden"}),
        ("authority", "/authority/work", {}),
        ("anna", f"/operators/{world.operator}/activities/new", {}),
        ("anna", f"/operators/{world.operator}/web-services", {}),
        ("authority", f"/operators/{world.operator}/web-services", {}),
        ("border_post", "/authority/work", {"sort": "newest"}),
        ("anna", "/audit", {}),
        ("authority", "/audit", {}),
        ("nobody", f"/operators/{world.operator}", {}),  # 403 page
    ]


@pytest.mark.parametrize("language", ["sv", "en"])
async def test_every_page_renders(
    visit: Callable[..., Visitor], world: World, language: str
) -> None:
    fragments = english_only_fragments()
    untranslated: list[str] = []
    for actor, path, query in pages_of(world):
        visitor = visit(actor, language)
        page = await visitor.get(path, **query)
        where = f"{actor} {path} {query}"
        assert page.status_code in {200, 403}, (where, page.status_code, page.text[:500])
        assert f'<html lang="{language}">' in page.text, where
        # Times in the reader's zone (CET/CEST), never UTC (issue 14, point 10).
        assert not re.search(r"\d\d:\d\d UTC", page.text), where
        assert page.headers["content-security-policy"].startswith("default-src 'self'"), where
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["cache-control"] == "no-store", where
        html = parse(page.text)
        assert "<h1>" in page.text or "<h1 " in page.text, where
        assert 'name="viewport"' in page.text
        for form in html.forms:
            if form["attrs"].get("method") == "post":
                names = [attrs.get("name") for _, attrs in form["fields"]]
                assert CSRF_FIELD in names, (where, form["attrs"])
        # Every visible field has a label (by for=id) or is hidden / a button.
        for field_id in re.findall(r'<(?:input|select|textarea) id="([^"]+)"', page.text):
            assert f'for="{field_id}"' in page.text, (where, field_id)
        if language == "sv":
            untranslated += [f"{where}: {hit}" for hit in english_on(html.text, fragments)]
    assert not untranslated, "English text on Swedish pages:\n" + "\n".join(untranslated)


async def test_the_stylesheet_is_served(visit: Callable[..., Visitor]) -> None:
    css = await visit("anonymous").get("/static/registry.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert "@media" in css.text


def test_catalogs_have_the_same_keys_and_every_key_used_exists() -> None:
    english = json.loads((WEB / "i18n" / "en.json").read_text("utf-8"))
    swedish = json.loads((WEB / "i18n" / "sv.json").read_text("utf-8"))
    assert set(english) == set(swedish)
    assert all(value.strip() for value in (*english.values(), *swedish.values()))
    sources = [*WEB.glob("templates/*.html"), *WEB.glob("*.py")]
    used = {
        key
        for source in sources
        for key in re.findall(r"""\bt\(\s*["']([a-z_]+(?:\.[a-z_]+)+)["']""", source.read_text())
    }
    assert used, "no keys found"
    missing = sorted(key for key in used - set(english) if not key.endswith("_"))
    assert not missing, missing
    # Keys built from a prefix and a value: every value the domain can give has a text.
    for prefix, values in {
        "status.": ("pending", "approved", "rejected", "revoked", "valid"),
        "kind.": ("operator", "organic_control_body", "authority", "other_entity"),
        "role.": ("member", "responsible_for_load"),
        "identifier.": ("national_registration_number", "vat", "eori"),
        "authority_kind.": ("central", "local", "border_control_post"),
        "users.caption_": ("pending", "approved"),
    }.items():
        for value in values:
            assert prefix + value in english, prefix + value


async def test_the_fragment_search_finds_english(visit: Callable[..., Visitor]) -> None:
    fragments = english_only_fragments()
    assert english_on("Send application for approval", fragments)
    assert not english_on(CATALOGS.texts("sv")["apply.submit"], fragments)


async def test_the_language_switch_is_remembered(visit: Callable[..., Visitor]) -> None:
    visitor = visit("nobody", "en")
    switched = await visitor.get("/request-authorisation", lang="sv")
    assert '<html lang="sv">' in switched.text
    assert "Begär tillstånd" in switched.text
    again = await visitor.get("/request-authorisation")
    assert '<html lang="sv">' in again.text, "the choice is kept in a cookie"
    assert 'href="/request-authorisation?lang=en"' in again.text


# Words Swedish and English share: a Swedish text equal to the English one is allowed only here.
SHARED_WORDS = {"Organisation", "Status"}


def test_no_english_text_stands_in_the_swedish_catalog() -> None:
    """ "Actors" stood untranslated in the Swedish menu: the English-fragment check skips texts
    that are the same in both catalogs, so a copied English text went unnoticed."""
    english, swedish = CATALOGS.texts("en"), CATALOGS.texts("sv")
    copied = {
        key: text
        for key, text in english.items()
        if swedish.get(key) == text and text not in SHARED_WORDS
    }
    assert not copied, copied


async def test_help_names_what_the_page_shows(visit: Callable[..., Visitor], world: World) -> None:
    """The users page's help named icons that are not shown ("the green check", "Gubben"): it
    names the page's own labels now."""
    for language in ("sv", "en"):
        anna = visit("anna", language)
        page = await anna.get(f"/actors/users/{world.users['bertil'].user_id}")
        help_text = anna.text("users.explain")
        assert help_text in page.text.replace("&#39;", "'")
        for label in ("users.approve", "users.save"):
            assert anna.text(label) in help_text, (language, label)
            assert anna.text(label) in page.text, (language, label)
        for icon_word in ("green check", "gröna bocken", "Gubben", "person icon"):
            assert icon_word not in help_text


@pytest.mark.parametrize("language", ["sv", "en"])
async def test_a_sign_in_that_cannot_go_on_says_so_in_the_pages_language(
    visit: Callable[..., Visitor], language: str
) -> None:
    """Identity sends the browser back with a state this browser never started (expired, used,
    or forged): the page says to start again, in the page's language, and signs nobody in."""
    visitor = visit("anonymous", language)
    page = await visitor.get("/auth/callback", state="never-started", code="x")
    assert page.status_code == 400
    assert visitor.text("error.sign_in_expired") in page.text
    assert visitor.text("sign_in.failed.title") in page.text
    assert 'href="/auth/login"' in page.text
    assert "registry_session" not in page.headers.get("set-cookie", "")
