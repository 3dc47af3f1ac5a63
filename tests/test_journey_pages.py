"""What a newcomer meets on the pages (issue 14), checked over HTTP where no browser is needed."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urljoin

import httpx
import pytest

from gatehouse_devstack.mailbox_client import MailboxClient
from gatehouse_devstack.stack import Stack
from tests.journeys import STRONG_PASSWORD, link_token, unique_email
from tests.oidc_helpers import Browser, form_to, new_account, query_of, raise_session_level

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


# --- the way back through an e-mail (issue 14, point 3) -------------------------------------


def href(html: str, pattern: str) -> str:
    """The first link on a page whose address matches `pattern`, as the browser reads it."""
    found = re.search(rf'href="({pattern}[^"]*)"', html)
    assert found, f"no link matching {pattern!r} in:\n{html[:3000]}"
    return unescape(found.group(1))


def submit(browser: Browser, url: str, action: str, **values: str) -> httpx.Response:
    """Open `url` and send its form to `action` with `values` typed in."""
    page = browser.get(url)
    assert page.status_code == 200, page.text
    form = form_to(page.text, action)
    return browser.post(urljoin(url, form.action), data={**form.fields, **values})


def set_password_from_email(
    stack: Stack, browser: Browser, mailbox: MailboxClient, email: str, *, count: int
) -> str:
    """Follow the newest e-mailed link and set a password; the page's way on to signing in."""
    message = mailbox.wait_for(to=email, count=count)[-1]
    url = f"{stack.identity_url}/password/set?token={link_token(message)}"
    done = submit(
        browser,
        url,
        "/password/set",
        password=STRONG_PASSWORD,
        password_confirmation=STRONG_PASSWORD,
    )
    assert done.status_code == 200, done.text
    return href(done.text, "/login")


@pytest.mark.parametrize("way", ["forgotten password", "new account"])
def test_the_way_back_to_the_registry_survives_the_email(
    stack: Stack, mailbox: MailboxClient, way: str
) -> None:
    """The registry sends someone to sign in; they follow "Forgot your password?" (or "Create an
    account"), the e-mailed link, set a password, sign in and are back where they started. The
    return address was dropped by both links of the sign-in page."""
    identity = stack.identity_url
    browser = Browser()
    if way == "forgotten password":
        email, e_mails = new_account(stack, mailbox).email, 2
    else:
        email, e_mails = unique_email("returning"), 1
    login, _ = browser.navigate(
        f"{stack.registry_url}/auth/profile", stop=lambda url: url.startswith(f"{identity}/login")
    )
    wanted = query_of(login)
    assert wanted["next"].startswith("/oidc/authorize"), login
    sign_in_page = browser.get(login).text
    if way == "forgotten password":
        sent = submit(
            browser,
            identity + href(sign_in_page, "/password/forgot"),
            "/password/forgot",
            email=email,
        )
    else:
        fields = {"first_name": "Rut", "last_name": "Åberg", "email": email}
        fields |= {"email_confirmation": email, "email_language": "en"}
        sent = submit(
            browser,
            identity + href(sign_in_page, "/signup"),
            "/signup",
            privacy_statement_accepted="yes",
            **fields,
        )
    assert sent.status_code == 200, sent.text

    onwards = set_password_from_email(stack, browser, mailbox, email, count=e_mails)
    assert query_of(onwards) == wanted
    signed_in = submit(browser, identity + onwards, "/login", email=email, password=STRONG_PASSWORD)
    assert signed_in.status_code == 303
    second_factor = signed_in.headers["location"]
    assert second_factor.startswith("/login/second-factor?"), second_factor
    assert query_of(second_factor) == wanted
    # TEST FIXTURE: the second factor is another test's subject (test_roles.py plays it).
    raise_session_level(
        stack.database_urls["identity"], browser, level="multi_factor", amr=["pwd", "otp", "mfa"]
    )
    arrived, page = browser.navigate(identity + wanted["next"])
    assert arrived == f"{stack.registry_url}/auth/profile"
    assert page is not None
    assert page.status_code == 200, page.text
    browser.close()


def test_a_forged_way_back_is_not_kept(stack: Stack, mailbox: MailboxClient) -> None:
    """Only a path on identity's own site is kept with the link, as on the sign-in page."""
    email = new_account(stack, mailbox).email
    browser = Browser()
    forgot = f"{stack.identity_url}/password/forgot"
    for forged in ("https://elsewhere.example/", "//elsewhere.example/", "/\\elsewhere.example"):
        page = browser.get(forgot, params={"next": forged})
        assert "next" not in form_to(page.text, "/password/forgot").fields, forged
    sent = submit(browser, forgot, "/password/forgot", email=email, next="//elsewhere.example/")
    assert sent.status_code == 200
    assert set_password_from_email(stack, browser, mailbox, email, count=2) == "/login"
    browser.close()
