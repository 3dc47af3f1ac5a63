"""Issue 18, point 3: My account → My data downloads what identity holds about the user, as JSON
and as a page, after a recent sign-in at the user's level, and never a secret."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import httpx
import psycopg
import pytest

from gatehouse_devstack.mailbox_client import MailboxClient
from gatehouse_devstack.stack import Stack
from tests.journeys import (
    STRONG_PASSWORD,
    answer_second_factor,
    away_from_step_edge,
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
    assert "notifier e-mail history" in data["not_included"]

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
