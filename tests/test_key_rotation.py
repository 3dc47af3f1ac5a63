"""Issue 10: rotating SECOND_FACTOR_ENCRYPTION_KEYS without downtime, following the procedure of
docs/KEY_ROTATION.md step by step: a TOTP secret enrolled under key A still verifies after
rotating to [B, A], and after re-encrypting and dropping A."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import psycopg
import pytest
from cryptography.fernet import Fernet

from gatehouse_devstack.components import ServiceProcess
from gatehouse_devstack.mailbox_client import MailboxClient
from gatehouse_devstack.stack import Stack, free_ports
from gatehouse_identity.mfa.crypto import derived_key
from tests.journeys import (
    answer_second_factor,
    away_from_step_edge,
    create_account,
    enrol_totp,
    identity_client,
    password_session,
    totp_code,
)
from tests.oidc_helpers import identity_cli

pytestmark = pytest.mark.stack


@contextmanager
def identity_with_keys(stack: Stack, keys: str, name: str) -> Iterator[httpx.Client]:
    """An identity process (a restart, as far as this test is concerned) with these keys."""
    http_port, grpc_port = free_ports(2)
    env = stack.env_for("identity") | {
        "HTTP_PORT": str(http_port),
        "GRPC_PORT": str(grpc_port),
        "SECOND_FACTOR_ENCRYPTION_KEYS": keys,
    }
    process = ServiceProcess(
        name,
        "gatehouse_identity",
        env,
        log_path=stack.logs_dir / f"{name}.log",
        python=sys.executable,
    )
    process.start()
    try:
        with httpx.Client(base_url=process.url, timeout=30) as client:
            yield client
    finally:
        process.stop()


def _secret_of(stack: Stack, email: str) -> bytes:
    with psycopg.connect(stack.database_urls["identity"]) as connection:
        row = connection.execute(
            """SELECT t.secret_encrypted FROM totp_authenticators t
                 JOIN second_factors f ON f.id = t.factor_id
                 JOIN users u ON u.id = f.user_id
                WHERE u.email_normalized = %s""",
            (email,),
        ).fetchone()
    assert row is not None
    return bytes(row[0])


def test_second_factor_key_rotation_without_downtime(stack: Stack, mailbox: MailboxClient) -> None:
    key_a = Fernet.generate_key().decode()
    key_b = Fernet.generate_key().decode()
    with identity_client(stack) as client:
        account = create_account(client, mailbox)

    # Before: the key in use is A. The user enrols an authenticator app.
    away_from_step_edge()
    with identity_with_keys(stack, key_a, "identity-key-a") as client:
        token = password_session(client, account)["session_token"]
        secret, _ = enrol_totp(client, token, steps=-1)
    Fernet(key_a.encode()).decrypt(_secret_of(stack, account.email))

    env = stack.env_for("identity")
    try:
        # Step 1: put the new key B in front and restart; A still decrypts what it encrypted.
        with identity_with_keys(stack, f"{key_b},{key_a}", "identity-key-ba") as client:
            pending = password_session(client, account)["session_token"]
            answer = answer_second_factor(client, pending, method="totp", code=totp_code(secret))
            assert answer.status_code == 200, answer.text

        # Step 2: re-encrypt every secret with B.
        done = identity_cli(
            env | {"SECOND_FACTOR_ENCRYPTION_KEYS": f"{key_b},{key_a}"},
            "keys",
            "reencrypt-second-factors",
        )
        # Exit 1 only for secrets of other tests that neither key decrypts (the shared stack).
        assert done.returncode in (0, 1), done.stderr
        assert "re-encrypted" in done.stdout
        Fernet(key_b.encode()).decrypt(_secret_of(stack, account.email))

        # Step 3: drop A and restart: the app still works.
        with identity_with_keys(stack, key_b, "identity-key-b") as client:
            pending = password_session(client, account)["session_token"]
            answer = answer_second_factor(
                client, pending, method="totp", code=totp_code(secret, steps=1)
            )
            assert answer.status_code == 200, answer.text
    finally:
        # Give the shared stack's identity (key derived from SECRET_KEY) its secrets back.
        home = derived_key(env["SECRET_KEY"]).decode()
        identity_cli(
            env | {"SECOND_FACTOR_ENCRYPTION_KEYS": f"{home},{key_b},{key_a}"},
            "keys",
            "reencrypt-second-factors",
        )
