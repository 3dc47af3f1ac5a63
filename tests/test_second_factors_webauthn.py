"""Security keys and passkeys (WebAuthn) against the running system, with soft-webauthn as the
authenticator: registration and authentication ceremonies from the API and the web pages, a
cloned authenticator refused, oversized or malformed answers named, and step-up from
multi-factor to phishing-resistant asking for the key only."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from soft_webauthn import SoftWebauthnDevice

from gatehouse_devstack.mailbox_client import MailboxClient
from gatehouse_devstack.stack import Stack
from tests.journeys import (
    Account,
    answer_second_factor,
    away_from_step_edge,
    bearer,
    enrol_totp,
    identity_client,
    password_session,
    signed_in_account,
    start_challenge,
    totp_code,
    webauthn_create,
    webauthn_get,
)
from tests.oidc_helpers import Browser, form_to

pytestmark = pytest.mark.stack


@pytest.fixture
def client(stack: Stack) -> Iterator[httpx.Client]:
    with identity_client(stack) as client:
        yield client


def register_key(
    stack: Stack, client: httpx.Client, token: str, device: SoftWebauthnDevice
) -> dict[str, Any]:
    options = client.post("/api/v1/me/security-keys/options", headers=bearer(token))
    assert options.status_code == 200, options.text
    body = options.json()
    assert body["options"]["authenticatorSelection"]["userVerification"] == "required"
    credential = webauthn_create(device, body["options"], stack.identity_url)
    registered = client.post(
        "/api/v1/me/security-keys",
        json={"challenge_id": body["challenge_id"], "name": "YubiKey", "credential": credential},
        headers=bearer(token),
    )
    assert registered.status_code == 201, registered.text
    result: dict[str, Any] = registered.json()
    return result


def authenticate(
    stack: Stack, client: httpx.Client, token: str, device: SoftWebauthnDevice
) -> httpx.Response:
    challenge = start_challenge(client, token, "webauthn")
    assert challenge.status_code == 201, challenge.text
    body = challenge.json()
    assertion = webauthn_get(device, body["options"], stack.identity_url)
    return answer_second_factor(
        client, token, method="webauthn", challenge_id=body["challenge_id"], credential=assertion
    )


def key_account(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient
) -> tuple[Account, SoftWebauthnDevice]:
    account, token = signed_in_account(client, mailbox)
    device = SoftWebauthnDevice()
    registered = register_key(stack, client, token, device)
    assert registered["factor"]["method"] == "webauthn"
    assert len(registered["recovery_codes"]) == 10
    return account, device


def test_register_and_authenticate_with_a_security_key(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient
) -> None:
    account, device = key_account(stack, client, mailbox)
    session = password_session(client, account)
    assert session["available_methods"] == ["webauthn", "recovery_code"]
    stepped = authenticate(stack, client, session["session_token"], device)
    assert stepped.status_code == 200, stepped.text
    assert stepped.json()["level"] == "phishing_resistant"
    assert stepped.json()["amr"] == ["pwd", "hwk", "mfa"]

    # The challenge is single-use: the same assertion again is refused.
    session = password_session(client, account)["session_token"]
    challenge = start_challenge(client, session, "webauthn").json()
    assertion = webauthn_get(device, challenge["options"], stack.identity_url)
    first = answer_second_factor(
        client,
        session,
        method="webauthn",
        challenge_id=challenge["challenge_id"],
        credential=assertion,
    )
    assert first.status_code == 200
    again = answer_second_factor(
        client,
        first.json()["session_token"],
        method="webauthn",
        challenge_id=challenge["challenge_id"],
        credential=assertion,
    )
    assert again.status_code in (404, 409)


def test_a_cloned_authenticator_is_refused(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient
) -> None:
    account, device = key_account(stack, client, mailbox)
    clone = SoftWebauthnDevice()
    clone.credential_id = device.credential_id
    clone.private_key = device.private_key
    clone.rp_id = device.rp_id
    clone.user_handle = device.user_handle
    clone.sign_count = device.sign_count
    for _ in range(2):  # the genuine key moves its counter on
        token = password_session(client, account)["session_token"]
        assert authenticate(stack, client, token, device).status_code == 200
    token = password_session(client, account)["session_token"]
    refused = authenticate(stack, client, token, clone)
    assert refused.status_code == 401
    assert refused.json()["reason"] == "sign_count_regression"
    assert refused.json()["detail"][0]["loc"] == ["body", "credential"]


def test_bad_webauthn_input_is_named(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient
) -> None:
    account, device = key_account(stack, client, mailbox)
    token = password_session(client, account)["session_token"]
    challenge = start_challenge(client, token, "webauthn").json()
    assertion = webauthn_get(device, challenge["options"], stack.identity_url)

    def send(credential: dict[str, Any]) -> httpx.Response:
        return answer_second_factor(
            client,
            token,
            method="webauthn",
            challenge_id=challenge["challenge_id"],
            credential=credential,
        )

    oversized = send({**assertion, "response": {**assertion["response"], "signature": "A" * 5000}})
    assert oversized.status_code == 422
    assert oversized.json()["detail"][0]["loc"][-1] == "signature"
    too_big = client.post(
        "/api/v1/sessions/current/second-factor",
        content=json.dumps({"method": "webauthn", "credential": {"id": "A" * 70_000}}),
        headers={**bearer(token), "Content-Type": "application/json"},
    )
    assert too_big.status_code == 413
    not_a_key = send({**assertion, "type": "password"})
    assert not_a_key.status_code == 422
    assert not_a_key.json()["detail"][0]["loc"][-1] == "type"
    garbage = send(
        {**assertion, "response": {**assertion["response"], "authenticatorData": "AAAA"}}
    )
    assert garbage.status_code == 401
    assert garbage.json()["detail"][0]["loc"] == ["body", "credential"]
    # An assertion made for another challenge (here: a fresh one) does not verify.
    other = start_challenge(client, token, "webauthn").json()
    crossed = answer_second_factor(
        client, token, method="webauthn", challenge_id=other["challenge_id"], credential=assertion
    )
    assert crossed.status_code == 401
    # Registration: an attestation object larger than any real one.
    stepped = send(webauthn_get(device, challenge["options"], stack.identity_url))
    assert stepped.status_code == 200, stepped.text
    new_token = stepped.json()["session_token"]
    options = client.post("/api/v1/me/security-keys/options", headers=bearer(new_token)).json()
    credential = webauthn_create(SoftWebauthnDevice(), options["options"], stack.identity_url)
    credential["response"]["attestationObject"] = "A" * 20_000
    huge = client.post(
        "/api/v1/me/security-keys",
        json={"challenge_id": options["challenge_id"], "credential": credential},
        headers=bearer(new_token),
    )
    assert huge.status_code == 422
    assert huge.json()["detail"][0]["loc"][-1] == "attestationObject"
    wrong_origin = webauthn_create(SoftWebauthnDevice(), options["options"], "https://evil.example")
    refused = client.post(
        "/api/v1/me/security-keys",
        json={"challenge_id": options["challenge_id"], "credential": wrong_origin},
        headers=bearer(new_token),
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "credential"]


def test_step_up_to_phishing_resistant_asks_for_the_key_only(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient
) -> None:
    away_from_step_edge()
    account, token = signed_in_account(client, mailbox)
    secret, _ = enrol_totp(client, token)
    session = password_session(client, account)["session_token"]
    multi = answer_second_factor(client, session, method="totp", code=totp_code(secret))
    token = multi.json()["session_token"]
    device = SoftWebauthnDevice()
    register_key(stack, client, token, device)

    status = client.get(
        "/api/v1/sessions/current", params={"level": "phishing_resistant"}, headers=bearer(token)
    ).json()
    assert status["level"] == "multi_factor"
    assert status["second_factor_required"] is True
    assert status["available_methods"] == ["webauthn"]  # not the password, not the app again
    stepped = authenticate(stack, client, token, device)
    assert stepped.json()["level"] == "phishing_resistant"
    assert stepped.json()["amr"] == ["pwd", "otp", "hwk", "mfa"]
    latest = stepped.json()["session_token"]
    bad = client.get("/api/v1/sessions/current", params={"level": "superb"}, headers=bearer(latest))
    assert bad.status_code == 422


def test_web_registration_and_sign_in_with_a_security_key(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient
) -> None:
    base = stack.identity_url
    account, _ = signed_in_account(client, mailbox)
    browser = Browser()
    login = browser.get(f"{base}/login?next=/account")
    form = form_to(login.text, "/login")
    browser.post(
        f"{base}/login", data=form.fields | {"email": account.email, "password": account.password}
    )

    page = browser.get(f"{base}/account/security/security-keys/new")
    assert page.status_code == 200
    options = json.loads(html.unescape(re.search(r'data-options="([^"]*)"', page.text).group(1)))  # type: ignore[union-attr]
    device = SoftWebauthnDevice()
    # What the page's script does: navigator.credentials.create(), then submit the form.
    credential = webauthn_create(device, options, base)
    form = form_to(page.text, "/account/security/security-keys/new")
    done = browser.post(
        f"{base}{form.action}",
        data=form.fields | {"name": "Desk key", "credential": json.dumps(credential)},
    )
    assert done.status_code == 200, done.text
    assert "recovery-codes" in done.text

    browser = Browser()
    login = browser.get(f"{base}/login?next=/account/security&level=phishing_resistant")
    form = form_to(login.text, "/login")
    assert form.fields["level"] == "phishing_resistant"
    second = browser.post(
        f"{base}/login", data=form.fields | {"email": account.email, "password": account.password}
    )
    assert second.status_code == 303
    choose = browser.get(f"{base}{second.headers['location']}")
    assert "/login/second-factor/webauthn?" in choose.text
    assert "/login/second-factor/recovery_code?" not in choose.text  # not phishing-resistant
    key_page = browser.get(
        f"{base}/login/second-factor/webauthn?next=/account/security&level=phishing_resistant"
    )
    options = json.loads(
        html.unescape(re.search(r'data-options="([^"]*)"', key_page.text).group(1))
    )  # type: ignore[union-attr]
    form = form_to(key_page.text, "/login/second-factor/webauthn")
    assertion = webauthn_get(device, options, base)
    signed = browser.post(
        f"{base}{form.action}", data=form.fields | {"credential": json.dumps(assertion)}
    )
    assert signed.status_code == 303, signed.text
    assert signed.headers["location"] == "/account/security"
    assert "Desk key" in browser.get(f"{base}/account/security").text
