"""Steps of the manual that many system tests repeat, done through the real HTTP APIs and the
real mailbox: create an account, follow the e-mailed link, sign in."""

from __future__ import annotations

import base64
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import psycopg
import pyotp

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
    first_name: str = "Anna",
    last_name: str = "Svensson",
) -> Account:
    """A new account with its password set from the e-mailed link."""
    email = email or unique_email()
    requested = request_account(
        client, email=email, language=language, first_name=first_name, last_name=last_name
    )
    assert requested.status_code == 202, requested.text
    (message,) = mailbox.wait_for(to=email)
    response = client.post(
        "/api/v1/password/set", json={"token": link_token(message), "password": password}
    )
    assert response.status_code == 200, response.text
    return Account(
        email=email,
        password=password,
        first_name=first_name,
        last_name=last_name,
        language=language,
    )


def sign_in(client: httpx.Client, *, email: str, password: str) -> httpx.Response:
    return client.post("/api/v1/sessions", json={"email": email, "password": password})


# --- second factors (gatehouse_identity.mfa) ------------------------------------------------


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def password_session(client: httpx.Client, account: Account, **params: str) -> dict[str, Any]:
    """POST /api/v1/sessions: the password step; the body says what is still needed."""
    response = client.post(
        "/api/v1/sessions",
        json={"email": account.email, "password": account.password},
        params=params,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def signed_in_account(client: httpx.Client, mailbox: MailboxClient) -> tuple[Account, str]:
    """A new account and a password session token (level "password": no factor enrolled)."""
    account = create_account(client, mailbox)
    return account, password_session(client, account)["session_token"]


def totp_code(secret: str, *, steps: int = 0) -> str:
    """The code an RFC 6238 app (pyotp: an independent implementation) shows `steps` periods
    from now. Identity accepts one step either side, and each step once per user."""
    return pyotp.TOTP(secret).at(time.time() + 30 * steps)


def away_from_step_edge(margin: float = 3.0) -> None:
    """Wait (at most `margin` s) if the 30-second step is about to change, so that a test's
    codes are computed and checked within the same steps."""
    left = 30 - time.time() % 30
    if left < margin:
        time.sleep(left + 0.05)


def enrol_totp(client: httpx.Client, token: str, *, steps: int = -1) -> tuple[str, dict[str, Any]]:
    """Add an authenticator app through the API and confirm it with the code `steps` periods
    away (default: the previous step, leaving the current and next ones for signing in).
    Returns the secret and the confirmation body (with recovery codes at the first enrolment)."""
    started = client.post(
        "/api/v1/me/authenticator-apps", json={"name": "Phone"}, headers=bearer(token)
    )
    assert started.status_code == 201, started.text
    secret = started.json()["secret"]
    confirmed = client.post(
        f"/api/v1/me/authenticator-apps/{started.json()['factor_id']}/confirm",
        json={"code": totp_code(secret, steps=steps)},
        headers=bearer(token),
    )
    assert confirmed.status_code == 200, confirmed.text
    return secret, confirmed.json()


def answer_second_factor(client: httpx.Client, token: str, **body: Any) -> httpx.Response:
    return client.post("/api/v1/sessions/current/second-factor", json=body, headers=bearer(token))


def start_challenge(client: httpx.Client, token: str, method: str, **extra: Any) -> httpx.Response:
    return client.post(
        "/api/v1/sessions/current/second-factor/challenges",
        json={"method": method, **extra},
        headers=bearer(token),
    )


def identity_log_records(stack: Stack, name: str = "identity") -> list[dict[str, Any]]:
    """The JSON log lines of an identity process (the development SMS provider writes there)."""
    records = []
    for line in (stack.logs_dir / f"{name}.log").read_text("utf-8", "replace").splitlines():
        if line.startswith("{"):
            try:
                records.append(json.loads(line))
            except ValueError:
                continue
    return records


def outbox_events(stack: Stack, *, event_type: str, user_id: str) -> list[bytes]:
    """Payloads identity wrote to its outbox: what the notifier turns into e-mails."""
    with psycopg.connect(stack.database_urls["identity"], autocommit=True) as connection:
        rows = connection.execute(
            "SELECT payload FROM outbox_events WHERE event_type = %s AND subject = %s"
            " ORDER BY created_at",
            (event_type, user_id),
        ).fetchall()
    return [bytes(row[0]) for row in rows]


# WebAuthn with soft-webauthn (a software authenticator): options and credentials travel as
# JSON with base64url fields, exactly as the browser script sends them.


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def from_b64url(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def webauthn_create(device: Any, options: dict[str, Any], origin: str) -> dict[str, Any]:
    public_key = {
        **options,
        "challenge": from_b64url(options["challenge"]),
        "user": {**options["user"], "id": from_b64url(options["user"]["id"])},
    }
    public_key.pop("attestation", None)  # soft-webauthn only does "none", which is the default
    created = device.create({"publicKey": public_key}, origin)
    return {
        "id": b64url(created["rawId"]),
        "rawId": b64url(created["rawId"]),
        "type": "public-key",
        "response": {
            "clientDataJSON": b64url(created["response"]["clientDataJSON"]),
            "attestationObject": b64url(created["response"]["attestationObject"]),
            "transports": ["usb"],
        },
        "clientExtensionResults": {},
    }


def webauthn_get(device: Any, options: dict[str, Any], origin: str) -> dict[str, Any]:
    asserted = device.get(
        {"publicKey": {**options, "challenge": from_b64url(options["challenge"])}}, origin
    )
    response = asserted["response"]
    return {
        "id": b64url(asserted["rawId"]),
        "rawId": b64url(asserted["rawId"]),
        "type": "public-key",
        "response": {
            "clientDataJSON": b64url(response["clientDataJSON"]),
            "authenticatorData": b64url(response["authenticatorData"]),
            "signature": b64url(response["signature"]),
            "userHandle": b64url(response["userHandle"]),
        },
        "clientExtensionResults": {},
    }
