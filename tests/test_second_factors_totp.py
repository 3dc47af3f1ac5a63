"""Authenticator apps (TOTP, RFC 6238) against the running system: enrol with the QR code's
secret, sign in, refuse a code the second time, and let exactly one of twenty parallel
submissions of one code through. Codes come from pyotp, an implementation independent of
identity's own."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from gatehouse_devstack.mailbox_client import MailboxClient
from gatehouse_devstack.stack import Stack
from tests.journeys import (
    answer_second_factor,
    away_from_step_edge,
    bearer,
    enrol_totp,
    identity_client,
    outbox_events,
    password_session,
    signed_in_account,
    totp_code,
)

pytestmark = pytest.mark.stack


@pytest.fixture
def client(stack: Stack) -> Iterator[httpx.Client]:
    with identity_client(stack) as client:
        yield client


def test_enrol_then_sign_in_with_an_authenticator_app(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient
) -> None:
    away_from_step_edge()
    account, token = signed_in_account(client, mailbox)
    started = client.post(
        "/api/v1/me/authenticator-apps", json={"name": "Work phone"}, headers=bearer(token)
    )
    assert started.status_code == 201, started.text
    body = started.json()
    uri = urlsplit(body["otpauth_uri"])
    assert uri.scheme == "otpauth"
    assert uri.netloc == "totp"
    query = parse_qs(uri.query)
    assert query["secret"] == [body["secret"]]
    assert query["digits"] == ["6"]
    assert query["period"] == ["30"]
    assert body["qr_image"].startswith("data:image/png;base64,")

    # Until confirmed, the app is not a second factor.
    assert password_session(client, account)["second_factor_required"] is False
    wrong = client.post(
        f"/api/v1/me/authenticator-apps/{body['factor_id']}/confirm",
        json={"code": "000000" if totp_code(body["secret"]) != "000000" else "111111"},
        headers=bearer(token),
    )
    assert wrong.status_code == 401
    confirmed = client.post(
        f"/api/v1/me/authenticator-apps/{body['factor_id']}/confirm",
        json={"code": totp_code(body["secret"], steps=-1)},
        headers=bearer(token),
    )
    assert confirmed.status_code == 200, confirmed.text
    codes = confirmed.json()["recovery_codes"]
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert outbox_events(
        stack,
        event_type="identity.second_factor.added",
        user_id=str(password_session(client, account)["user"]["user_id"]),
    )

    session = password_session(client, account)
    assert session["level"] == "password"
    assert session["second_factor_required"] is True
    assert session["required_level"] == "multi_factor"
    assert "totp" in session["available_methods"]
    assert "recovery_code" in session["available_methods"]

    code = totp_code(body["secret"])
    stepped = answer_second_factor(client, session["session_token"], method="totp", code=code)
    assert stepped.status_code == 200, stepped.text
    raised = stepped.json()
    assert raised["level"] == "multi_factor"
    assert raised["amr"] == ["pwd", "otp", "mfa"]
    # The level change gave a new session id; the old one is gone.
    assert raised["session_token"] != session["session_token"]
    assert client.get("/api/v1/me", headers=bearer(session["session_token"])).status_code == 401
    current = client.get("/api/v1/sessions/current", headers=bearer(raised["session_token"]))
    assert current.json()["level"] == "multi_factor"
    assert current.json()["second_factor_required"] is False

    # The same code (the same time step) is refused the second time, in another sign-in.
    again = password_session(client, account)
    replay = answer_second_factor(client, again["session_token"], method="totp", code=code)
    assert replay.status_code == 401
    assert "already used" in replay.text
    # ...and so is any earlier step.
    older = answer_second_factor(
        client, again["session_token"], method="totp", code=totp_code(body["secret"], steps=-1)
    )
    assert older.status_code == 401


def test_twenty_parallel_submissions_of_one_code_succeed_exactly_once(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient
) -> None:
    away_from_step_edge(5)
    account, token = signed_in_account(client, mailbox)
    secret, _ = enrol_totp(client, token)
    # Twenty separate sign-in attempts (sessions), so only the replay guard stands between
    # them and twenty successes.
    tokens = [password_session(client, account)["session_token"] for _ in range(20)]
    code = totp_code(secret, steps=1)

    def submit(session_token: str) -> int:
        with httpx.Client(base_url=stack.identity_url, timeout=30) as own:
            return answer_second_factor(own, session_token, method="totp", code=code).status_code

    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(submit, tokens))
    assert sorted(statuses) == [200] + [401] * 19


def test_malformed_codes_are_named_and_do_not_count(
    client: httpx.Client, mailbox: MailboxClient
) -> None:
    away_from_step_edge()
    account, token = signed_in_account(client, mailbox)
    secret, _ = enrol_totp(client, token)
    session = password_session(client, account)["session_token"]
    for code in ("12345", "1234567", "12a456", "١٢٣٤٥٦"):
        response = answer_second_factor(client, session, method="totp", code=code)
        assert response.status_code == 422, (code, response.text)
        assert response.json()["detail"][0]["loc"] == ["body", "code"]
    missing = answer_second_factor(client, session, method="totp")
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "code"]
    unknown = answer_second_factor(client, session, method="carrier_pigeon", code="123456")
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "method"]
    # None of that counted as a wrong code: the right one still works.
    assert (
        answer_second_factor(client, session, method="totp", code=totp_code(secret)).status_code
        == 200
    )
