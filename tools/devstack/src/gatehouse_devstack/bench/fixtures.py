"""The accounts, second factors and OIDC client the benchmarks sign in with.

Accounts are written straight into identity's database with the argon2id hash identity's own
settings produce (see argon2_probe): creating hundreds of accounts through the e-mailed
set-password link would spend the setup time on e-mail and on one argon2 hash per account, and
measure nothing. Authenticator apps are then enrolled through identity's JSON API, as a user
would, from a password session written the same way.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
import struct
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx

from gatehouse_common.service_auth import mint_service_token
from gatehouse_devstack.bench.harness import Bench

BENCH_CLIENT_ID = "bench-relying-party"
# Never fetched: the benchmark's "browser" stops at the redirect and reads the code from it.
BENCH_REDIRECT_URI = "http://127.0.0.1:9/callback"
TOTP_STEP_S = 30


@dataclass(frozen=True)
class Account:
    user_id: uuid.UUID
    email: str


@dataclass(frozen=True)
class TotpAccount:
    account: Account
    secret: str  # base32, as the QR code gives it to an authenticator app


@dataclass(frozen=True)
class OidcClient:
    client_id: str
    client_secret: str
    redirect_uri: str


def totp_code(secret: str, at: float | None = None) -> str:
    """RFC 6238 (SHA-1, 6 digits, 30 s): what any authenticator app shows."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // TOTP_STEP_S)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 1_000_000).zfill(6)


async def create_accounts(bench: Bench, count: int, *, label: str) -> list[Account]:
    """`count` active accounts with the benchmark password."""
    if not bench.password_hash:
        raise RuntimeError("run the argon2 probe first: it makes the password hash")
    run = uuid.uuid4().hex[:6]
    accounts = [
        Account(uuid.uuid4(), f"bench-{label}-{run}-{number}@example.se") for number in range(count)
    ]
    now = datetime.now(UTC)
    connection = await asyncpg.connect(bench.stack.database_urls["identity"])
    try:
        await connection.copy_records_to_table(
            "users",
            columns=[
                "id",
                "email",
                "email_normalized",
                "first_name",
                "last_name",
                "email_language",
                "status",
                "password_hash",
                "password_changed_at",
                "privacy_statement_version",
                "privacy_statement_accepted_at",
            ],
            records=[
                (
                    account.user_id,
                    account.email,
                    account.email,
                    "Bench",
                    f"User {number}",
                    "sv" if number % 2 else "en",
                    "active",
                    bench.password_hash,
                    now,
                    "bench",
                    now,
                )
                for number, account in enumerate(accounts)
            ],
        )
    finally:
        await connection.close()
    return accounts


async def password_sessions(bench: Bench, accounts: list[Account]) -> list[str]:
    """A signed-in (password level) session token per account, written as identity writes it."""
    tokens = [secrets.token_urlsafe(32) for _ in accounts]
    now = datetime.now(UTC)
    connection = await asyncpg.connect(bench.stack.database_urls["identity"])
    try:
        await connection.copy_records_to_table(
            "sessions",
            columns=[
                "id_hash",
                "user_id",
                "amr",
                "level",
                "created_at",
                "last_seen_at",
                "expires_at",
            ],
            records=[
                (
                    hashlib.sha256(token.encode()).digest(),
                    account.user_id,
                    ["pwd"],
                    "password",
                    now,
                    now,
                    now + timedelta(hours=2),
                )
                for token, account in zip(tokens, accounts, strict=True)
            ],
        )
    finally:
        await connection.close()
    return tokens


async def enrol_authenticator_apps(
    bench: Bench, accounts: list[Account], *, parallel: int = 8
) -> list[TotpAccount]:
    """Add and confirm an authenticator app for each account through identity's JSON API."""
    tokens = await password_sessions(bench, accounts)
    enrolled: list[TotpAccount] = []
    gate = asyncio.Semaphore(parallel)
    async with httpx.AsyncClient(base_url=bench.stack.identity_url, timeout=60) as client:

        async def enrol(account: Account, token: str) -> None:
            headers = {"Authorization": f"Bearer {token}"}
            async with gate:
                started = await client.post(
                    "/api/v1/me/authenticator-apps", json={"name": "Bench phone"}, headers=headers
                )
                if started.status_code != 201:
                    raise RuntimeError(f"enrolling an app: {started.status_code} {started.text}")
                secret = started.json()["secret"]
                factor = started.json()["factor_id"]
                # The previous step's code: the current and later steps stay free for sign-in.
                for attempt in range(3):
                    await _away_from_step_edge()
                    confirmed = await client.post(
                        f"/api/v1/me/authenticator-apps/{factor}/confirm",
                        json={"code": totp_code(secret, time.time() - TOTP_STEP_S)},
                        headers=headers,
                    )
                    if confirmed.status_code == 200:
                        break
                    if confirmed.status_code != 401 or attempt == 2:
                        raise RuntimeError(
                            f"confirming an app: {confirmed.status_code} {confirmed.text}"
                        )
            enrolled.append(TotpAccount(account, secret))

        await asyncio.gather(
            *(enrol(account, token) for account, token in zip(accounts, tokens, strict=True))
        )
    return enrolled


async def _away_from_step_edge(margin_s: float = 3.0) -> None:
    """Wait for the next time step when this one is about to end, so that a code computed now
    is still the one meant when the server checks it."""
    left = TOTP_STEP_S - time.time() % TOTP_STEP_S
    if left < margin_s:
        await asyncio.sleep(left + 0.05)


def register_oidc_client(bench: Bench) -> OidcClient:
    """A first-party confidential client that requires multi-factor sign-in (like the registry)."""
    token = mint_service_token(bench.stack.service_auth_secret.encode(), caller="devstack")
    response = httpx.post(
        f"{bench.stack.identity_url}/oidc/admin/clients",
        json={
            "client_id": BENCH_CLIENT_ID,
            "name": "Benchmark relying party",
            "redirect_uris": [BENCH_REDIRECT_URI],
            "post_logout_redirect_uris": [],
            "min_level": "multi_factor",
            "first_party": True,
            "public": False,
        },
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    if response.status_code not in (200, 201):
        raise RuntimeError(f"registering the OIDC client: {response.status_code} {response.text}")
    return OidcClient(BENCH_CLIENT_ID, response.json()["client_secret"], BENCH_REDIRECT_URI)
