"""What a newcomer meets on the pages (issue 14), checked over HTTP where no browser is needed."""

from __future__ import annotations

import httpx
import pytest

from gatehouse_devstack.stack import Stack

pytestmark = pytest.mark.stack


def test_no_eid_button_without_an_eid_upstream(stack: Stack) -> None:
    """`make run` configures no eID broker: "Sign in with eID" would lead nowhere."""
    assert not stack.env_for("identity").get("EID_PROVIDERS")
    page = httpx.get(f"{stack.identity_url}/login", timeout=10)
    assert page.status_code == 200
    assert "/eid/login" not in page.text


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_privacy_statement_is_a_page_the_sign_up_links(stack: Stack, language: str) -> None:
    """Sign-up asks people to accept the privacy statement, which was not a link."""
    headers = {"accept-language": language}
    signup = httpx.get(f"{stack.identity_url}/signup", headers=headers, timeout=10)
    assert 'href="/privacy"' in signup.text
    statement = httpx.get(f"{stack.identity_url}/privacy", headers=headers, timeout=10)
    assert statement.status_code == 200
    assert f'<html lang="{language}">' in statement.text
    assert {"sv": "Integritetspolicy", "en": "Privacy statement"}[language] in statement.text
