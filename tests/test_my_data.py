"""Issue 18, point 3: My account → My data downloads what identity holds about the user, as JSON
and as a page, after a recent sign-in at the user's level, and never a secret; with the e-mails
the notifier sent them (asked over gRPC), never their bodies or links, and still a download when
the notifier does not answer."""

from __future__ import annotations

import base64
import json
import os
import signal
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import psycopg
import pytest

from gatehouse_devstack.mailbox_client import MailboxClient, Message, links
from gatehouse_devstack.stack import Stack
from tests.journeys import (
    STRONG_PASSWORD,
    answer_second_factor,
    away_from_step_edge,
    create_account,
    enrol_totp,
    identity_client,
    password_session,
    signed_in_account,
    totp_code,
)

SESSION_COOKIE = "__Host-gatehouse_session"
AS_JSON = "/account/data/gatehouse-my-data.json"
AS_HTML = "/account/data/gatehouse-my-data.html"
HANDLE_QUERY = (
    "SELECT webauthn_user_handle FROM users WHERE id = %s AND webauthn_user_handle IS NOT NULL"
)


@pytest.fixture
def client(stack: Stack) -> Iterator[httpx.Client]:
    with identity_client(stack) as client:
        yield client


def page(client: httpx.Client, path: str, token: str) -> httpx.Response:
    """A page as the browser holding the session `token` sees it."""
    return client.get(path, headers={"Cookie": f"{SESSION_COOKIE}={token}"})


def secrets_of(stack: Stack, email: str) -> list[str]:
    """Every stored secret of the user, in the forms it could leak in: the password hash, and
    each hash, key or token of theirs as hex and base64."""
    with psycopg.connect(stack.database_urls["identity"], autocommit=True) as connection:
        (user_id, password_hash) = connection.execute(
            "SELECT id, password_hash FROM users WHERE email = %s", (email,)
        ).fetchone() or (None, None)
        binary = [
            bytes(row[0])
            for query in (
                "SELECT id_hash FROM sessions WHERE user_id = %s",
                "SELECT code_hash FROM recovery_codes WHERE user_id = %s",
                "SELECT token_hash FROM password_links WHERE user_id = %s",
                HANDLE_QUERY,
            )
            for row in connection.execute(query, (user_id,)).fetchall()
        ]
    forms = [str(password_hash)]
    for value in binary:
        forms += [value.hex(), base64.b64encode(value).decode().rstrip("=")]
        forms.append(base64.urlsafe_b64encode(value).decode().rstrip("="))
    return forms


def test_my_data_holds_the_users_rows_and_no_secret(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient
) -> None:
    away_from_step_edge()
    account, token = signed_in_account(client, mailbox)
    secret, confirmed = enrol_totp(client, token)
    codes: list[str] = confirmed["recovery_codes"]
    session = password_session(client, account)["session_token"]
    stepped = answer_second_factor(client, session, method="totp", code=totp_code(secret))
    assert stepped.status_code == 200, stepped.text
    token = stepped.json()["session_token"]

    listing = page(client, "/account/data", token)
    assert listing.status_code == 200, listing.text
    assert AS_JSON in listing.text
    assert AS_HTML in listing.text

    as_json = page(client, AS_JSON, token)
    assert as_json.status_code == 200, as_json.text
    assert "attachment" in as_json.headers["content-disposition"]
    data = as_json.json()
    tables = data["tables"]
    (profile,) = tables["users"]
    assert profile["email"] == account.email
    assert "password_hash" not in profile
    assert [factor["method"] for factor in tables["second_factors"]] == ["totp"]
    assert len(tables["recovery_codes"]) == len(codes)
    for name in ("sessions", "audit_log", "seen_networks"):
        assert tables[name], name
    assert data["email_history"]["available"] is True

    as_html = page(client, AS_HTML, token)
    assert as_html.status_code == 200
    assert account.email in as_html.text

    leaks = [secret, secret.lower(), STRONG_PASSWORD, *codes, *secrets_of(stack, account.email)]
    for text in (as_json.text, json.dumps(data), as_html.text):
        assert [value for value in leaks if value and value in text] == []


def test_my_data_asks_for_a_recent_sign_in_at_the_users_level(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient
) -> None:
    account, token = signed_in_account(client, mailbox)  # password only: no second factor
    assert page(client, AS_JSON, token).status_code == 200
    # TEST FIXTURE: the sign-in was an hour ago (instead of waiting for it to age).
    with psycopg.connect(stack.database_urls["identity"], autocommit=True) as connection:
        connection.execute(
            "UPDATE sessions SET created_at = now() - interval '1 hour'"
            " WHERE user_id = (SELECT id FROM users WHERE email = %s)",
            (account.email,),
        )
    stale = page(client, AS_JSON, token)
    assert stale.status_code in (302, 303, 307)
    assert stale.headers["location"] == "/account/data"
    again = page(client, "/account/data?lang=en", token)
    assert "Sign in again" in again.text
    assert AS_JSON not in again.text
    csrf = "c" * 32
    cookies = f"{SESSION_COOKIE}={token}; __Host-gatehouse_csrf={csrf}"
    out = client.post(
        "/logout", data={"csrf_token": csrf, "next": "/account/data"}, headers={"Cookie": cookies}
    )
    assert out.status_code in (302, 303, 307)
    assert out.headers["location"] == "/login?next=%2Faccount%2Fdata"
    assert page(client, "/account/data", token).status_code in (302, 303, 307)  # signed out

    # With a second factor, an old one is asked for again (the fresh step-up) before the file.
    away_from_step_edge()
    secret, _ = enrol_totp(client, password_session(client, account)["session_token"])
    session = password_session(client, account)["session_token"]
    stepped = answer_second_factor(client, session, method="totp", code=totp_code(secret))
    token = stepped.json()["session_token"]
    with psycopg.connect(stack.database_urls["identity"], autocommit=True) as connection:
        connection.execute(
            "UPDATE sessions SET created_at = now() - interval '1 hour',"
            " second_factor_at = now() - interval '1 hour'"
            " WHERE user_id = (SELECT id FROM users WHERE email = %s)",
            (account.email,),
        )
    step_up = page(client, AS_JSON, token)
    assert step_up.status_code in (302, 303, 307)
    assert step_up.headers["location"].startswith("/login/second-factor?")
    assert "fresh=1" in step_up.headers["location"]


def _sent_to(mailbox: MailboxClient, email: str) -> list[Message]:
    return [message for message in mailbox.messages() if message.is_addressed_to(email)]


def _history_matching_mailbox(
    client: httpx.Client, mailbox: MailboxClient, email: str, token: str
) -> tuple[dict[str, Any], list[Message]]:
    """The export's e-mail history once it holds, sent, exactly what the mailbox received for
    `email` (the notifier records a message as sent just after the mail server's 250)."""
    deadline = time.monotonic() + 30
    while True:
        received = _sent_to(mailbox, email)
        response = page(client, AS_JSON, token)
        assert response.status_code == 200, response.text
        history = response.json()["email_history"]
        assert history["available"] is True, history
        listed = history["messages"]
        done = [message for message in listed if message["status"] == "sent"]
        if len(done) == len(listed) and sorted(m["subject"] for m in listed) == sorted(
            message.subject for message in received
        ):
            return history, received
        if time.monotonic() > deadline:
            raise AssertionError(f"export {listed} != mailbox {[m.subject for m in received]}")
        time.sleep(0.3)


def _link_secrets(messages: list[Message]) -> list[str]:
    """Every link in the e-mails, and every query value in them (tokens)."""
    found: list[str] = []
    for message in messages:
        for url in links(message):
            found.append(url)
            for values in parse_qs(urlsplit(url).query).values():
                found += values
    return found


def _notifier_message_ids(stack: Stack, user_id: str) -> set[str]:
    with psycopg.connect(stack.database_urls["notifier"], autocommit=True) as connection:
        rows = connection.execute(
            "SELECT id FROM messages WHERE recipient_user_id = %s", (user_id,)
        ).fetchall()
    return {str(row[0]) for row in rows}


def test_my_data_lists_the_emails_sent_to_the_user_without_bodies_or_links(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient
) -> None:
    other = create_account(client, mailbox, language="sv")
    assert client.post("/api/v1/password/forgot", json={"email": other.email}).status_code == 202
    account, token = signed_in_account(client, mailbox)
    assert client.post("/api/v1/password/forgot", json={"email": account.email}).status_code == 202
    mailbox.wait_for(to=account.email, count=2)
    mailbox.wait_for(to=other.email, count=2)

    history, received = _history_matching_mailbox(client, mailbox, account.email, token)

    assert len(received) >= 2
    assert history["bodies_left_out"]
    for message in history["messages"]:
        assert message["language"] == "en"
        assert message["sent_at"]
        assert message["created_at"]
        assert message["template"]
        assert message["event_type"]
        assert not {"body_text", "body_html", "recipient_email"} & set(message)
    data = page(client, AS_JSON, token).json()
    user_id = data["user_id"]
    listed = {message["message_id"] for message in history["messages"]}
    assert listed == _notifier_message_ids(stack, user_id)
    others = _sent_to(mailbox, other.email)
    other_ids = _notifier_message_ids(stack, _user_id_of(stack, other.email))
    assert other_ids
    assert not listed & other_ids

    as_html = page(client, AS_HTML + "?lang=en", token)
    assert as_html.status_code == 200
    assert "E-mails we sent you" in as_html.text
    for message in received:
        assert message.subject in as_html.text
    assert [m.subject for m in others if m.subject in as_html.text] == []  # Swedish subjects
    swedish = page(client, AS_HTML + "?lang=sv", token)
    assert "E-post vi skickat till dig" in swedish.text

    secrets = _link_secrets(received + others)
    assert secrets
    json_text = page(client, AS_JSON, token).text
    for text in (json_text, as_html.text):
        assert [value for value in secrets if value in text] == []
        for message in received:
            assert not (message.text and message.text.strip() in text)


def _user_id_of(stack: Stack, email: str) -> str:
    with psycopg.connect(stack.database_urls["identity"], autocommit=True) as connection:
        (user_id,) = connection.execute(
            "SELECT id FROM users WHERE email = %s", (email,)
        ).fetchone() or (None,)
    return str(user_id)


def test_my_data_downloads_without_the_history_when_the_notifier_does_not_answer(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient
) -> None:
    account, token = signed_in_account(client, mailbox)
    notifier = stack.services["notifier"].pid
    assert notifier is not None
    # The notifier frozen: its port still accepts connections, nothing answers (as when it
    # hangs); identity gives up after NOTIFIER_GRPC_TIMEOUT_S.
    os.kill(notifier, signal.SIGSTOP)
    try:
        started = time.monotonic()
        as_json = page(client, AS_JSON, token)
        as_html = page(client, AS_HTML + "?lang=en", token)
        as_html_sv = page(client, AS_HTML + "?lang=sv", token)
        waited = time.monotonic() - started
    finally:
        os.kill(notifier, signal.SIGCONT)
    assert as_json.status_code == 200, as_json.text
    history = as_json.json()["email_history"]
    assert history["available"] is False
    assert "did not answer" in history["reason"]
    assert history["messages"] == []
    assert as_json.json()["tables"]["users"][0]["email"] == account.email
    assert as_html.status_code == 200
    assert "unavailable right now" in as_html.text
    assert "går inte att hämta just nu" in as_html_sv.text
    assert waited < 3 * 10  # three downloads, each waiting at most the timeout (3 s) and a bit
