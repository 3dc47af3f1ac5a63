"""Steps of the manual that many system tests repeat, done through the real HTTP APIs and the
real mailbox: create an account, follow the e-mailed link, sign in."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx

from gatehouse_devstack.mailbox_client import MailboxClient, Message, links
from gatehouse_devstack.stack import Stack

STRONG_PASSWORD = "Tullverket#2025kod"
SUBJECT_WORD = {"sv": "lösenord", "en": "password"}


@dataclass(frozen=True)
class Account:
    email: str
    password: str
    first_name: str
    last_name: str
    language: str


def unique_email(prefix: str = "importer") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.se"


def identity_client(stack: Stack) -> httpx.Client:
    return httpx.Client(base_url=stack.identity_url, timeout=30)


def request_account(
    client: httpx.Client,
    *,
    email: str,
    language: str = "en",
    first_name: str = "Anna",
    last_name: str = "Svensson",
) -> httpx.Response:
    return client.post(
        "/api/v1/accounts",
        json={
            "first_name": first_name,
            "last_name": last_name,
            "email": email,
            "email_confirmation": email,
            "email_language": language,
            "privacy_statement_accepted": True,
        },
    )


def link_token(message: Message, path: str = "/password/set") -> str:
    """The token of the first link to `path` in an e-mail."""
    for url in links(message):
        parts = urlsplit(url)
        if parts.path == path:
            return parse_qs(parts.query)["token"][0]
    raise AssertionError(f"no {path} link in: {message.text}")


def create_account(
    client: httpx.Client,
    mailbox: MailboxClient,
    *,
    language: str = "en",
    password: str = STRONG_PASSWORD,
    email: str | None = None,
) -> Account:
    """A new account with its password set from the e-mailed link."""
    email = email or unique_email()
    assert request_account(client, email=email, language=language).status_code == 202
    (message,) = mailbox.wait_for(to=email)
    response = client.post(
        "/api/v1/password/set", json={"token": link_token(message), "password": password}
    )
    assert response.status_code == 200, response.text
    return Account(
        email=email, password=password, first_name="Anna", last_name="Svensson", language=language
    )


def sign_in(client: httpx.Client, *, email: str, password: str) -> httpx.Response:
    return client.post("/api/v1/sessions", json={"email": email, "password": password})
