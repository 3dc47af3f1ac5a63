"""Issue 18, point 2: a sign-in from a browser without the user's device cookie and from a network
not seen for the user is e-mailed to the user (through identity's outbox and the notifier), once;
the user's known browsers and networks are not. "This wasn't me" (a page: GET shows, POST acts)
ends every session, blocks the account until a new password is set, and the registry revokes
the user's access as after a devices reset."""

from __future__ import annotations

import re
import secrets
import time
import uuid
from collections.abc import Iterator

import httpx
import psycopg
import pytest

from gatehouse.events.v1 import identity_events_pb2 as events
from gatehouse_devstack.mailbox_client import MailboxClient, Message, matching
from gatehouse_devstack.stack import Stack
from tests.journeys import (
    Account,
    bearer,
    create_account,
    identity_client,
    link_token,
    outbox_events,
)

DEVICE_COOKIE = "__Host-gatehouse_device"
CSRF_COOKIE = "__Host-gatehouse_csrf"
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
NOTICE = "identity.user.new_device_signed_in"
SUBJECT = {
    "sv": "Ny inloggning på ditt konto från en okänd enhet",
    "en": "New sign-in to your account from an unknown device",
}
REPORT_PATH = "/login/report"


@pytest.fixture
def client(stack: Stack) -> Iterator[httpx.Client]:
    with identity_client(stack) as client:
        yield client


def sign_in_from(
    client: httpx.Client, account: Account, *, address: str, device: str | None = None
) -> httpx.Response:
    """A password sign-in from `address` (identity trusts X-Forwarded-For from 127.0.0.1, as
    from a proxy), in a browser holding the device cookie `device` or none."""
    headers = {"X-Forwarded-For": address, "User-Agent": FIREFOX}
    if device:
        headers["Cookie"] = f"{DEVICE_COOKIE}={device}"
    return client.post(
        "/api/v1/sessions",
        json={"email": account.email, "password": account.password},
        headers=headers,
    )


def device_cookie(response: httpx.Response) -> str | None:
    for header in response.headers.get_list("set-cookie"):
        match = re.match(rf"{DEVICE_COOKIE}=([^;]+)", header)
        if match:
            return match.group(1)
    return None


def user_id_of(response: httpx.Response) -> str:
    user_id: str = response.json()["user"]["user_id"]
    return user_id


def notices(mailbox: MailboxClient, account: Account) -> list[Message]:
    return matching(
        mailbox.messages(), to=account.email, subject_contains=SUBJECT[account.language]
    )


def a_network() -> tuple[str, str]:
    """Two addresses in one /24 of the TEST-NET-like benchmarking range, fresh for each test."""
    prefix = f"198.18.{secrets.randbelow(250)}"
    return f"{prefix}.10", f"{prefix}.200"


@pytest.mark.parametrize("language", ["sv", "en"])
def test_a_new_browser_on_a_new_network_is_told_once_known_ones_never(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient, language: str
) -> None:
    account = create_account(client, mailbox, language=language)
    home, _ = a_network()
    # The first sign-in has nothing to compare with: learnt, not told.
    first = sign_in_from(client, account, address=home)
    assert first.status_code == 201, first.text
    own_browser = device_cookie(first)
    assert own_browser
    user_id = user_id_of(first)

    elsewhere, same_network = a_network()
    new = sign_in_from(client, account, address=elsewhere)  # a new browser, a new network
    assert new.status_code == 201, new.text
    # The same network again from another new browser, the own browser from a third network,
    # and a new browser from home: each has something the user already used.
    assert sign_in_from(client, account, address=same_network).status_code == 201
    third, _ = a_network()
    assert sign_in_from(client, account, address=third, device=own_browser).status_code == 201
    assert sign_in_from(client, account, address=home).status_code == 201

    (payload,) = outbox_events(stack, event_type=NOTICE, user_id=user_id)
    notice = events.UserNewDeviceSignedIn.FromString(payload)
    assert notice.network == elsewhere.rsplit(".", 1)[0] + ".0/24"
    assert notice.browser == "Firefox 128, Windows 10"
    (message,) = mailbox.wait_for(to=account.email, subject_contains=SUBJECT[language])
    assert notice.network in message.text
    assert "Firefox 128" in message.text
    assert elsewhere not in message.text  # the network, never the address
    link_token(message, REPORT_PATH)
    assert len(notices(mailbox, account)) == 1


def test_this_wasnt_me_ends_sessions_blocks_the_account_and_the_registry_access(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient
) -> None:
    account = create_account(client, mailbox, language="en")
    home, _ = a_network()
    mine = sign_in_from(client, account, address=home)
    user_id = user_id_of(mine)
    elsewhere, _ = a_network()
    theirs = sign_in_from(client, account, address=elsewhere)
    sessions = [mine.json()["session_token"], theirs.json()["session_token"]]
    (message,) = mailbox.wait_for(to=account.email, subject_contains=SUBJECT["en"])
    token = link_token(message, REPORT_PATH)

    csrf = secrets.token_urlsafe(32)
    cookies = {"Cookie": f"{CSRF_COOKIE}={csrf}"}
    page = client.get(REPORT_PATH, params={"token": token, "lang": "en"}, headers=cookies)
    assert page.status_code == 200, page.text
    assert elsewhere.rsplit(".", 1)[0] + ".0/24" in page.text
    assert "End every session and block my account" in page.text
    # Showing the page changed nothing; a form without the CSRF token does nothing either.
    assert all(client.get("/api/v1/me", headers=bearer(s)).status_code == 200 for s in sessions)
    forged = client.post(REPORT_PATH, data={"token": token}, headers=cookies)
    assert forged.status_code == 403
    assert client.get("/api/v1/me", headers=bearer(sessions[0])).status_code == 200

    done = client.post(REPORT_PATH, data={"token": token, "csrf_token": csrf}, headers=cookies)
    assert done.status_code == 200, done.text
    assert "Your account is blocked" in done.text
    assert all(client.get("/api/v1/me", headers=bearer(s)).status_code == 401 for s in sessions)
    blocked = sign_in_from(client, account, address=home)
    assert blocked.status_code == 401, blocked.text
    assert blocked.json()["code"] == "account_blocked"
    again = client.post(REPORT_PATH, data={"token": token, "csrf_token": csrf}, headers=cookies)
    assert again.status_code == 400  # single use

    # The registry heard it as a devices reset: the user's tokens are revoked.
    assert registry_revoked(stack, user_id)
    (payload,) = outbox_events(stack, event_type="identity.user.devices_reset", user_id=user_id)
    assert events.UserDevicesReset.FromString(payload).sign_in_reported is True

    # The e-mail that follows unblocks the account with a new password.
    (blocked_mail,) = mailbox.wait_for(to=account.email, subject_contains="choose a new password")
    new_password = "Nytt#Lösenord2026x"
    chosen = client.post(
        "/api/v1/password/set",
        json={"token": link_token(blocked_mail), "password": new_password},
    )
    assert chosen.status_code == 200, chosen.text
    back = client.post("/api/v1/sessions", json={"email": account.email, "password": new_password})
    assert back.status_code == 201, back.text


def registry_revoked(stack: Stack, user_id: str, timeout: float = 30) -> bool:
    """Whether the registry recorded that the user's access tokens are refused (it consumes
    identity.user.devices_reset from JetStream, so it may take a moment)."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(stack.database_urls["registry"], autocommit=True) as connection:
        while time.monotonic() < deadline:
            row = connection.execute(
                "SELECT 1 FROM access_token_revocations WHERE user_id = %s",
                (uuid.UUID(user_id),),
            ).fetchone()
            if row is not None:
                return True
            time.sleep(0.2)
    return False
