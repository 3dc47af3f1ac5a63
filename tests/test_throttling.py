"""Throttling that cannot be turned against users (issue 10): per-address limits, a captcha after
failures from one address, and OWASP device cookies so that attackers who block the unknown-
clients bucket do not lock the real user out of the browser they always use."""

from __future__ import annotations

import re
import secrets
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
import pytest

from gatehouse_devstack.components import ServiceProcess
from gatehouse_devstack.mailbox_client import MailboxClient
from gatehouse_devstack.stack import Stack, free_ports
from gatehouse_identity.throttling.sign_in_guard import FAILURE_WINDOW_S
from tests.journeys import create_account, identity_client

pytestmark = pytest.mark.stack

DEVICE_COOKIE = "__Host-gatehouse_device"
WRONG = "Attacker#Guess1"


@pytest.fixture(scope="module")
def throttled(stack: Stack) -> Iterator[str]:
    """An identity process with throttling on (the shared stack has it off: every test there
    comes from 127.0.0.1), on the same database as the stack's identity."""
    http_port, grpc_port = free_ports(2)
    env = stack.env_for("identity") | {
        "HTTP_PORT": str(http_port),
        "GRPC_PORT": str(grpc_port),
        "THROTTLING_ENABLED": "true",
    }
    process = ServiceProcess(
        "identity-throttled",
        "gatehouse_identity",
        env,
        log_path=stack.logs_dir / "identity-throttled.log",
        python=sys.executable,
    )
    process.start()
    yield process.url
    process.stop()


def _sign_in(
    base_url: str,
    *,
    email: str,
    password: str,
    address: str,
    device: str | None = None,
    captcha: dict[str, str] | None = None,
) -> httpx.Response:
    headers = {"X-Forwarded-For": address}
    if device:
        headers["Cookie"] = f"{DEVICE_COOKIE}={device}"
    return httpx.post(
        f"{base_url}/api/v1/sessions",
        json={"email": email, "password": password, **(captcha or {})},
        headers=headers,
        timeout=60,
    )


def _solved_captcha(stack: Stack, base_url: str) -> dict[str, str]:
    """A captcha answered the way a person would: by reading it (here, from the database)."""
    captcha_id = httpx.post(f"{base_url}/api/v1/captcha", timeout=10).json()["captcha_id"]
    with psycopg.connect(stack.database_urls["identity"]) as connection:
        row = connection.execute(
            "SELECT answer FROM captcha_challenges WHERE id = %s", (captcha_id,)
        ).fetchone()
    assert row is not None
    return {"captcha_id": captcha_id, "captcha_answer": row[0]}


def _device_cookie(response: httpx.Response) -> str:
    for header in response.headers.get_list("set-cookie"):
        match = re.match(rf"{DEVICE_COOKIE}=([^;]+)", header)
        if match:
            return match.group(1)
    raise AssertionError("no device cookie was set")


def _metric(base_url: str, name: str) -> float:
    text = httpx.get(f"{base_url}/metrics", timeout=10).text
    match = re.search(rf"^{name} ([0-9.e+]+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_attack_from_many_addresses_blocks_only_unknown_clients(
    stack: Stack, throttled: str, mailbox: MailboxClient
) -> None:
    with identity_client(stack) as client:
        account = create_account(client, mailbox)
    # The real user signed in before from their own browser: it holds a device cookie.
    first = _sign_in(
        throttled, email=account.email, password=account.password, address="192.0.2.10"
    )
    assert first.status_code == 201
    device = _device_cookie(first)

    def attack(attempt: int) -> int:
        address = f"198.51.100.{attempt % 100}"
        return _sign_in(throttled, email=account.email, password=WRONG, address=address).status_code

    started = time.time()
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = Counter(pool.map(attack, range(1000)))
    # The allowance is per fixed window, aligned to the epoch: an attack that runs across a
    # window's end gets it once more (on a loaded machine this test takes minutes).
    windows = int(time.time() // FAILURE_WINDOW_S) - int(started // FAILURE_WINDOW_S) + 1

    # Slowed: after three failures from an address it must solve a captcha before any password
    # is checked, so at most 3 guesses per address and window reached the password check.
    assert set(answers) <= {401, 422, 429}, answers
    assert answers[401] <= 300 * windows, answers
    assert answers[422] + answers[429] >= 1000 - 300 * windows, answers
    # Flagged: metric and an e-mail to the user.
    assert _metric(throttled, "gatehouse_identity_password_attacks_flagged_total") >= 1
    (warning,) = mailbox.wait_for(to=account.email, subject_contains="blocked")
    assert "unknown browsers" in " ".join((warning.text or "").split())

    # The real user, on the browser that signed in before, still gets in.
    mine = _sign_in(
        throttled,
        email=account.email,
        password=account.password,
        address="192.0.2.10",
        device=device,
    )
    assert mine.status_code == 201
    # A browser the account has never seen is refused even with the right password.
    unknown = _sign_in(
        throttled, email=account.email, password=account.password, address="192.0.2.11"
    )
    assert unknown.status_code == 401
    # Unknown browsers are told nothing more, right password or not: no oracle for guessers.
    assert unknown.json()["code"] == "credentials_wrong"

    # The user failing five times on their own device is blocked, as the manual says (after the
    # third failure their address must solve a captcha each time, which they do).
    for attempt in range(5):
        own = _sign_in(
            throttled,
            email=account.email,
            password=WRONG,
            address="192.0.2.10",
            device=device,
            captcha=_solved_captcha(stack, throttled) if attempt >= 3 else None,
        )
        assert own.status_code == 401, own.text
    blocked = _sign_in(
        throttled,
        email=account.email,
        password=account.password,
        address="192.0.2.12",
        device=device,
    )
    assert blocked.status_code == 401
    mailbox.wait_for(to=account.email, subject_contains="blocked", count=2)


def test_captcha_is_required_after_failures_from_one_address(
    stack: Stack, throttled: str, mailbox: MailboxClient
) -> None:
    with identity_client(stack) as client:
        account = create_account(client, mailbox)
    address = "203.0.113.7"
    for _ in range(3):
        wrong = _sign_in(throttled, email=account.email, password=WRONG, address=address)
        assert wrong.status_code == 401
    # Now even the right password is not checked until the captcha is solved.
    right = _sign_in(throttled, email=account.email, password=account.password, address=address)
    assert right.status_code == 422
    assert right.json()["detail"][0]["loc"] == ["body", "captcha_answer"]
    # Another address is not affected.
    other = _sign_in(
        throttled, email=account.email, password=account.password, address="203.0.113.8"
    )
    assert other.status_code == 201


def _argon2_verifications(base_url: str) -> float:
    text = httpx.get(f"{base_url}/metrics", timeout=10).text
    found = re.findall(
        r'^gatehouse_identity_password_verifications_total\{outcome="\w+"\} ([0-9.e+]+)$',
        text,
        re.MULTILINE,
    )
    return sum(float(value) for value in found)


def test_captcha_gate_lets_exactly_three_parallel_guesses_reach_argon2(throttled: str) -> None:
    """Issue 13, finding 4: the per-address gate reserves its slots atomically, as the account
    lockout does, so a burst from one address cannot slip past the captcha."""
    address = f"198.18.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    before = _argon2_verifications(throttled)

    def spray(attempt: int) -> int:
        email = f"sprayed-{attempt}-{secrets.token_hex(4)}@example.se"  # many accounts
        return _sign_in(throttled, email=email, password=WRONG, address=address).status_code

    with ThreadPoolExecutor(max_workers=100) as pool:
        answers = Counter(pool.map(spray, range(100)))

    assert _argon2_verifications(throttled) - before == 3, answers
    assert answers[401] == 3, answers
    assert set(answers) <= {401, 422, 429}, answers


def test_per_address_limit_answers_429_with_retry_after(throttled: str) -> None:
    answers = [
        _sign_in(throttled, email="nobody@example.se", password=WRONG, address="203.0.113.99")
        for _ in range(61)
    ]
    limited = [answer for answer in answers if answer.status_code == 429]
    # 61 requests span at most two one-minute windows, so one of them went over 30.
    assert limited
    assert int(limited[0].headers["Retry-After"]) >= 1
