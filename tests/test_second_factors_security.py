"""Second factors' security rules against the running system: recovery codes, "always require
multi-factor", wrong codes counted apart from wrong passwords, removing the last strong method,
"reset all my devices", the events that tell the user, and no open redirect after sign-in."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator

import httpx
import psycopg
import pytest

from gatehouse.events.v1 import identity_events_pb2 as events
from gatehouse_devstack.mailbox_client import MailboxClient
from gatehouse_devstack.stack import Stack
from tests.journeys import (
    Account,
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
from tests.oidc_helpers import Browser, form_to

pytestmark = pytest.mark.stack


@pytest.fixture
def client(stack: Stack) -> Iterator[httpx.Client]:
    with identity_client(stack) as client:
        yield client


def totp_account(client: httpx.Client, mailbox: MailboxClient) -> tuple[Account, str, list[str]]:
    away_from_step_edge()
    account, token = signed_in_account(client, mailbox)
    secret, confirmed = enrol_totp(client, token)
    return account, secret, confirmed["recovery_codes"]


def multi_factor_token(client: httpx.Client, account: Account, secret: str, steps: int = 0) -> str:
    session = password_session(client, account)["session_token"]
    stepped = answer_second_factor(
        client, session, method="totp", code=totp_code(secret, steps=steps)
    )
    assert stepped.status_code == 200, stepped.text
    token: str = stepped.json()["session_token"]
    return token


def test_recovery_codes_are_single_use_regenerated_and_reported(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient
) -> None:
    account, _, codes = totp_account(client, mailbox)
    session = password_session(client, account)
    user_id = session["user"]["user_id"]
    used = answer_second_factor(
        client, session["session_token"], method="recovery_code", code=codes[0].lower()
    )
    assert used.status_code == 200, used.text
    assert used.json()["level"] == "multi_factor"
    (payload,) = outbox_events(stack, event_type="identity.recovery_code.used", user_id=user_id)
    assert events.RecoveryCodeUsed.FromString(payload).remaining == 9
    token = used.json()["session_token"]

    again = password_session(client, account)["session_token"]
    reuse = answer_second_factor(client, again, method="recovery_code", code=codes[0])
    assert reuse.status_code == 401
    malformed = answer_second_factor(client, again, method="recovery_code", code="ABC")
    assert malformed.status_code == 422
    assert malformed.json()["detail"][0]["loc"] == ["body", "code"]

    listed = client.get("/api/v1/me/second-factors", headers=bearer(token)).json()
    assert listed["recovery_codes_left"] == 9
    fresh = client.post("/api/v1/me/recovery-codes", headers=bearer(token))
    assert fresh.status_code == 201
    new_codes = fresh.json()["recovery_codes"]
    assert len(new_codes) == 10
    assert set(new_codes).isdisjoint(codes)
    old = answer_second_factor(client, again, method="recovery_code", code=codes[1])
    assert old.status_code == 401  # the old set stopped working
    new = answer_second_factor(client, again, method="recovery_code", code=new_codes[1])
    assert new.status_code == 200


def test_wrong_codes_end_the_attempt_apart_from_password_failures(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient
) -> None:
    account, secret, _ = totp_account(client, mailbox)
    right = {totp_code(secret, steps=s) for s in (-1, 0, 1)}
    wrong = next(code for code in ("000000", "111111", "222222") if code not in right)
    user_id = password_session(client, account)["user"]["user_id"]
    metric_before = _failures_metric(client)

    for burst in range(2):
        token = password_session(client, account)["session_token"]
        for attempt in range(1, 6):
            response = answer_second_factor(client, token, method="totp", code=wrong)
            assert response.status_code == 401
            if attempt < 5:
                assert response.json()["attempts_left"] == 5 - attempt
            else:
                assert response.json()["code"] == "sign_in_attempt_ended"
        # The attempt is over: its session is gone, even for the right code.
        assert (
            answer_second_factor(client, token, method="totp", code=totp_code(secret)).status_code
            == 401
        )
        repeated = outbox_events(
            stack, event_type="identity.second_factor.failures_repeated", user_id=user_id
        )
        assert len(repeated) == burst  # the user is e-mailed at the second burst
    (payload,) = outbox_events(
        stack, event_type="identity.second_factor.failures_repeated", user_id=user_id
    )
    assert events.SecondFactorFailuresRepeated.FromString(payload).bursts == 2
    assert _failures_metric(client) >= metric_before + 10
    # Ten wrong codes did nothing to the password: the account is not blocked.
    token = multi_factor_token(client, account, secret)
    assert client.get("/api/v1/me", headers=bearer(token)).json()["status"] == "active"


def _failures_metric(client: httpx.Client) -> float:
    text = client.get("/metrics").text
    match = re.search(
        r'^gatehouse_identity_second_factor_failures_total\{method="totp"\} (\S+)$',
        text,
        re.MULTILINE,
    )
    return float(match.group(1)) if match else 0.0


def test_always_require_multi_factor(client: httpx.Client, mailbox: MailboxClient) -> None:
    account, secret, _ = totp_account(client, mailbox)
    token = multi_factor_token(client, account, secret)
    assert (
        client.put(
            "/api/v1/me/always-require-mfa", json={"enabled": True}, headers=bearer(token)
        ).status_code
        == 204
    )
    # Even a caller asking for the password level gets a second-factor step.
    session = password_session(client, account, level="password")
    assert session["required_level"] == "multi_factor"
    assert session["second_factor_required"] is True
    assert (
        client.get("/api/v1/me/second-factors", headers=bearer(token)).json()["always_require_mfa"]
        is True
    )
    _, fresh_token = signed_in_account(client, mailbox)
    refused = client.put(
        "/api/v1/me/always-require-mfa", json={"enabled": True}, headers=bearer(fresh_token)
    )
    assert refused.status_code == 403  # nothing to require yet
    assert refused.json()["detail"][0]["loc"] == ["body", "always_require_mfa"]


def test_managing_needs_multi_factor_and_the_last_strong_method_a_fresh_one(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient
) -> None:
    account, secret, _ = totp_account(client, mailbox)
    password_only = password_session(client, account)["session_token"]
    listed = client.get("/api/v1/me/second-factors", headers=bearer(password_only)).json()
    (factor,) = listed["factors"]
    step_up = client.delete(
        f"/api/v1/me/second-factors/{factor['factor_id']}", headers=bearer(password_only)
    )
    assert step_up.status_code == 403
    assert step_up.json()["code"] == "step_up_required"
    adding = client.post(
        "/api/v1/me/authenticator-apps", json={"name": "x"}, headers=bearer(password_only)
    )
    assert adding.status_code == 403

    token = multi_factor_token(client, account, secret)
    # TEST FIXTURE: the second factor was proved long ago (instead of waiting five minutes).
    with psycopg.connect(stack.database_urls["identity"], autocommit=True) as connection:
        connection.execute(
            "UPDATE sessions SET second_factor_at = now() - interval '1 hour'"
            " WHERE user_id = (SELECT id FROM users WHERE email = %s)",
            (account.email,),
        )
    stale = client.delete(f"/api/v1/me/second-factors/{factor['factor_id']}", headers=bearer(token))
    assert stale.status_code == 403
    assert stale.json()["fresh"] is True
    fresh = answer_second_factor(client, token, method="totp", code=totp_code(secret, steps=1))
    assert fresh.status_code == 200, fresh.text
    token = fresh.json()["session_token"]
    removed = client.delete(
        f"/api/v1/me/second-factors/{factor['factor_id']}", headers=bearer(token)
    )
    assert removed.status_code == 204
    user_id = password_session(client, account)["user"]["user_id"]
    (payload,) = outbox_events(stack, event_type="identity.second_factor.removed", user_id=user_id)
    assert events.SecondFactorRemoved.FromString(payload).method == events.SECOND_FACTOR_METHOD_TOTP
    # No method left: no recovery codes either, and the password alone is enough again.
    after = password_session(client, account)
    assert after["second_factor_required"] is False
    assert (
        client.get("/api/v1/me/second-factors", headers=bearer(token)).json()["recovery_codes_left"]
        == 0
    )


def test_reset_all_devices_removes_everything_and_signs_out_everywhere(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient
) -> None:
    account, secret, codes = totp_account(client, mailbox)
    token = multi_factor_token(client, account, secret)
    other = password_session(client, account)["session_token"]
    user_id = password_session(client, account)["user"]["user_id"]
    assert client.post("/api/v1/me/second-factors/reset", headers=bearer(token)).status_code == 204
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(other)).status_code == 401
    (payload,) = outbox_events(stack, event_type="identity.user.devices_reset", user_id=user_id)
    assert events.UserDevicesReset.FromString(payload).removed_count == 1
    session = password_session(client, account)
    assert session["second_factor_required"] is False
    assert session["available_methods"] == []
    recovery = answer_second_factor(
        client, session["session_token"], method="recovery_code", code=codes[0]
    )
    assert recovery.status_code == 403


def test_no_open_redirect_after_sign_in(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient
) -> None:
    account, _ = signed_in_account(client, mailbox)
    base = stack.identity_url
    for target in (
        "https://evil.example/x",
        "//evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
        "/ok\r\nX: y",
    ):
        browser = Browser()
        login = browser.get(f"{base}/login", params={"next": target})
        form = form_to(login.text, "/login")
        landed = browser.post(
            f"{base}/login",
            data=form.fields | {"email": account.email, "password": account.password},
        )
        assert landed.status_code == 303
        assert landed.headers["location"] == "/account", target
    browser = Browser()
    login = browser.get(f"{base}/login", params={"next": "/account/security?tab=1"})
    form = form_to(login.text, "/login")
    landed = browser.post(
        f"{base}/login", data=form.fields | {"email": account.email, "password": account.password}
    )
    assert landed.headers["location"] == "/account/security?tab=1"
    # Already signed in at the level: /login goes straight on.
    assert (
        browser.get(f"{base}/login?next=/account/security").headers["location"]
        == "/account/security"
    )


def test_web_sign_in_with_totp_and_recovery_code_and_manage_on_the_security_page(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient
) -> None:
    account, secret, codes = totp_account(client, mailbox)
    base = stack.identity_url

    def sign_in(browser: Browser) -> str:
        login = browser.get(f"{base}/login?next=/account/security")
        form = form_to(login.text, "/login")
        second = browser.post(
            f"{base}/login",
            data=form.fields | {"email": account.email, "password": account.password},
        )
        location: str = second.headers["location"]
        return location

    browser = Browser()
    choose = browser.get(f"{base}{sign_in(browser)}")
    assert "/login/second-factor/totp?" in choose.text
    assert "/login/second-factor/recovery_code?" in choose.text
    page = browser.get(f"{base}/login/second-factor/totp?next=/account/security")
    form = form_to(page.text, "/login/second-factor/totp")
    wrong = browser.post(f"{base}{form.action}", data=form.fields | {"code": "12"})
    assert wrong.status_code == 422
    assert "6 digits" in wrong.text
    signed = browser.post(f"{base}{form.action}", data=form.fields | {"code": totp_code(secret)})
    assert signed.status_code == 303
    security = browser.get(f"{base}/account/security")
    assert security.status_code == 200
    assert "Phone" in security.text

    # Rename through the page.
    factor_id = re.search(r"/account/security/factors/([0-9a-f-]+)/rename", security.text).group(1)  # type: ignore[union-attr]
    rename = form_to(security.text, f"/account/security/factors/{factor_id}/rename")
    assert (
        browser.post(
            f"{base}{rename.action}", data=rename.fields | {"name": "Work phone"}
        ).status_code
        == 303
    )
    assert "Work phone" in browser.get(f"{base}/account/security").text

    # A recovery code in another browser.
    other = Browser()
    sign_in(other)
    page = other.get(f"{base}/login/second-factor/recovery_code?next=/account/security")
    form = form_to(page.text, "/login/second-factor/recovery_code")
    signed = other.post(f"{base}{form.action}", data=form.fields | {"code": codes[3]})
    assert signed.status_code == 303, signed.text

    # Reset all devices from the page: needs the box ticked, then signs out.
    security = other.get(f"{base}/account/security")
    reset = form_to(security.text, "/account/security/reset")
    unticked = other.post(f"{base}{reset.action}", data=reset.fields)
    assert unticked.status_code == 422
    done = other.post(f"{base}{reset.action}", data=reset.fields | {"confirm": "yes"})
    assert done.status_code == 200
    assert other.get(f"{base}/account/security").status_code == 303
    assert browser.get(f"{base}/account/security").status_code == 303  # signed out there too


def test_second_factor_secrets_rest_encrypted_and_stay_out_of_logs_and_events(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient
) -> None:
    account, secret, codes = totp_account(client, mailbox)
    token = multi_factor_token(client, account, secret)
    session = password_session(client, account)["session_token"]
    used = answer_second_factor(client, session, method="recovery_code", code=codes[0])
    assert used.status_code == 200
    raw_secret = base64.b32decode(secret + "=" * (-len(secret) % 8))
    user_id = password_session(client, account)["user"]["user_id"]
    with psycopg.connect(stack.database_urls["identity"], autocommit=True) as connection:
        stored = b"".join(
            bytes(row[0])
            for row in connection.execute(
                "SELECT t.secret_encrypted FROM totp_authenticators t"
                " JOIN second_factors f ON f.id = t.factor_id WHERE f.user_id = %s",
                (user_id,),
            )
        )
        hashes = b"".join(
            bytes(row[0])
            for row in connection.execute(
                "SELECT code_hash FROM recovery_codes WHERE user_id = %s", (user_id,)
            )
        )
        payloads = b"".join(
            bytes(row[0])
            for row in connection.execute(
                "SELECT payload FROM outbox_events WHERE subject = %s", (user_id,)
            )
        )
    assert stored
    assert raw_secret not in stored
    assert secret.encode() not in stored
    logs = "\n".join(path.read_text(errors="replace") for path in stack.logs_dir.glob("*.log"))
    for value in (secret, token, *codes, *(code.replace("-", "") for code in codes)):
        assert value not in logs
        assert value.encode() not in payloads
        assert value.encode() not in hashes


def test_the_user_is_emailed_about_added_used_and_removed_methods(
    client: httpx.Client, mailbox: MailboxClient
) -> None:
    """End to end through the notifier: each event above becomes an e-mail to the user."""
    account, _, codes = totp_account(client, mailbox)  # welcome + "method added"
    mailbox.wait_for(to=account.email, count=2)
    session = password_session(client, account)["session_token"]
    used = answer_second_factor(client, session, method="recovery_code", code=codes[0])
    assert used.status_code == 200
    token = used.json()["session_token"]
    mailbox.wait_for(to=account.email, count=3)
    (factor,) = client.get("/api/v1/me/second-factors", headers=bearer(token)).json()["factors"]
    removed = client.delete(
        f"/api/v1/me/second-factors/{factor['factor_id']}", headers=bearer(token)
    )
    assert removed.status_code == 204
    messages = mailbox.wait_for(to=account.email, count=4)
    subjects = [message.subject for message in messages[1:]]
    assert len(set(subjects)) == 3, subjects  # three different messages, one per change
