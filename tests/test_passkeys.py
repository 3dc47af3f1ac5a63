"""Passkey-first sign-in over the JSON API (issue 18, point 1), with soft-webauthn as the
authenticator: a discoverable credential signs in with no e-mail at the phishing-resistant level,
and every way an assertion can be wrong is a 4xx naming what went wrong, never a 500: a replayed
assertion, a challenge used twice, a credential nobody registered, an authenticator that did not
verify the user, a blocked account. The pages and their script are tests/browser/test_passkeys.py.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from hashlib import sha256
from pathlib import Path
from struct import pack
from typing import Any

import httpx
import psycopg
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from soft_webauthn import SoftWebauthnDevice

import gatehouse_identity
from gatehouse_devstack.mailbox_client import MailboxClient
from gatehouse_devstack.stack import Stack
from tests.journeys import (
    Account,
    b64url,
    bearer,
    identity_client,
    signed_in_account,
    webauthn_create,
    webauthn_get,
)
from tests.oidc_helpers import Browser, form_to

pytestmark = pytest.mark.stack

USER_PRESENT_AND_VERIFIED = 0x05


class VerifyingDevice(SoftWebauthnDevice):  # type: ignore[misc]
    """soft-webauthn, but its assertions say the user was verified (UV flag), as a platform
    authenticator's do after a PIN or fingerprint (soft-webauthn only ever sets UP)."""

    def get(self, options: dict[str, Any], origin: str) -> dict[str, Any]:
        self.sign_count += 1
        client_data = json.dumps(
            {
                "type": "webauthn.get",
                "challenge": b64url(options["publicKey"]["challenge"]),
                "origin": origin,
            }
        ).encode()
        authenticator_data = (
            sha256(self.rp_id.encode()).digest()
            + bytes([USER_PRESENT_AND_VERIFIED])
            + pack(">I", self.sign_count)
        )
        signature = self.private_key.sign(
            authenticator_data + sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return {
            "rawId": self.credential_id,
            "response": {
                "authenticatorData": authenticator_data,
                "clientDataJSON": client_data,
                "signature": signature,
                "userHandle": self.user_handle,
            },
        }


@pytest.fixture
def client(stack: Stack) -> Iterator[httpx.Client]:
    with identity_client(stack) as client:
        yield client


def passkey_account(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient
) -> tuple[Account, VerifyingDevice]:
    """An account whose only second factor is a passkey registered through the API."""
    account, token = signed_in_account(client, mailbox)
    options = client.post("/api/v1/me/security-keys/options", headers=bearer(token))
    assert options.status_code == 200, options.text
    body = options.json()
    selection = body["options"]["authenticatorSelection"]
    assert selection["residentKey"] == "required"
    assert selection["userVerification"] == "required"
    device = VerifyingDevice()
    credential = webauthn_create(device, body["options"], stack.identity_url)
    registered = client.post(
        "/api/v1/me/security-keys",
        json={"challenge_id": body["challenge_id"], "name": "Passkey", "credential": credential},
        headers=bearer(token),
    )
    assert registered.status_code == 201, registered.text
    return account, device


def passkey_options(client: httpx.Client) -> dict[str, Any]:
    started = client.post("/api/v1/sessions/passkey/options")
    assert started.status_code == 201, started.text
    options: dict[str, Any] = started.json()["options"]
    return options


def sign_in(client: httpx.Client, credential: dict[str, Any]) -> httpx.Response:
    return client.post("/api/v1/sessions/passkey", json={"credential": credential})


def sentence(response: httpx.Response) -> str:
    """What an API client is told: the message of the field at fault, or the detail."""
    detail = response.json()["detail"]
    return str(detail[0]["msg"] if isinstance(detail, list) else detail)


def test_a_passkey_signs_in_without_an_email_at_the_strongest_level(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient
) -> None:
    account, device = passkey_account(stack, client, mailbox)
    options = passkey_options(client)
    assert options["allowCredentials"] == []  # discoverable: the authenticator picks the user
    assert options["userVerification"] == "required"
    signed_in = sign_in(client, webauthn_get(device, options, stack.identity_url))
    assert signed_in.status_code == 201, signed_in.text
    body = signed_in.json()
    assert body["user"]["email"] == account.email
    assert body["level"] == "phishing_resistant"
    assert body["amr"] == ["hwk", "mfa"]
    status = client.get(
        "/api/v1/sessions/current",
        params={"level": "phishing_resistant"},
        headers=bearer(body["session_token"]),
    ).json()
    assert status["second_factor_required"] is False


def test_wrong_passkey_answers_are_refused_with_a_sentence(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient
) -> None:
    _, device = passkey_account(stack, client, mailbox)
    options = passkey_options(client)
    assertion = webauthn_get(device, options, stack.identity_url)
    assert sign_in(client, assertion).status_code == 201

    replayed = sign_in(client, assertion)
    assert replayed.status_code == 409, replayed.text
    assert replayed.json()["code"] == "challenge_used"
    assert "already been used" in sentence(replayed)

    # The used challenge signed afresh (a higher counter): still the same spent challenge.
    reused = sign_in(client, webauthn_get(device, options, stack.identity_url))
    assert reused.status_code == 409, reused.text

    stranger = SoftWebauthnDevice()
    stranger.cred_init(device.rp_id, b"someone-else")
    unknown = sign_in(client, webauthn_get(stranger, passkey_options(client), stack.identity_url))
    assert unknown.status_code == 401, unknown.text
    assert unknown.json()["code"] == "passkey_unknown"
    assert "not registered" in sentence(unknown)

    # soft-webauthn's own assertions say "present" but not "verified".
    unverified = SoftWebauthnDevice()
    for name in ("credential_id", "private_key", "rp_id", "user_handle"):
        setattr(unverified, name, getattr(device, name))
    unverified.sign_count = device.sign_count + 10
    presence_only = webauthn_get(unverified, passkey_options(client), stack.identity_url)
    refused = sign_in(client, presence_only)
    assert refused.status_code == 401, refused.text
    assert refused.json()["code"] == "passkey_not_verified"
    assert "PIN" in sentence(refused)

    forged = {**assertion, "response": {**assertion["response"], "clientDataJSON": "e30"}}
    unreadable = sign_in(client, forged)
    assert unreadable.status_code == 422, unreadable.text
    assert unreadable.json()["detail"][0]["loc"] == ["body", "credential"]


def test_a_blocked_account_is_told_as_after_its_password(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient
) -> None:
    account, device = passkey_account(stack, client, mailbox)
    with psycopg.connect(stack.database_urls["identity"], autocommit=True) as connection:
        connection.execute("UPDATE users SET status = 'blocked' WHERE email = %s", (account.email,))
    refused = sign_in(client, webauthn_get(device, passkey_options(client), stack.identity_url))
    assert refused.status_code == 401, refused.text
    assert refused.json()["code"] == "account_blocked"


def test_the_sign_in_page_says_why_a_passkey_is_refused_in_its_language(
    stack: Stack, client: httpx.Client, mailbox: MailboxClient
) -> None:
    _, device = passkey_account(stack, client, mailbox)
    stranger = SoftWebauthnDevice()
    stranger.cred_init(device.rp_id, b"someone-else")
    catalog = Path(gatehouse_identity.__file__).parent / "i18n" / "sv.json"
    swedish = json.loads(catalog.read_text("utf-8"))
    browser = Browser()
    try:
        login = f"{stack.identity_url}/login"
        page = browser.get(login, params={"lang": "sv", "next": "/account/activity"})
        form = form_to(page.text, "/login/passkey")
        assertion = webauthn_get(stranger, passkey_options(client), stack.identity_url)
        refused = browser.post(
            f"{login}/passkey", data={**form.fields, "credential": json.dumps(assertion)}
        )
        assert refused.status_code == 401, refused.text
        assert html.escape(swedish["error.passkey_unknown"]) in refused.text
        assert form_to(refused.text, "/login/passkey").fields["next"] == "/account/activity"
        unreadable = browser.post(f"{login}/passkey", data={**form.fields, "credential": "{"})
        assert unreadable.status_code == 422, unreadable.text
        assert html.escape(swedish["mfa.webauthn.unreadable"]) in unreadable.text
    finally:
        browser.close()
