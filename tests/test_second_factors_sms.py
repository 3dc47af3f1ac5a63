"""SMS on both sides of its sunset date, against running services.

The stack's identity runs with the default SMS_SUNSET_DATE (2025-06-30, in the past). A second
identity process, sharing its database, runs with the date in the future and the HTTP SMS
provider pointed at a local gateway that records the texts: that is "before the sunset"."""

from __future__ import annotations

import http.server
import json
import re
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from gatehouse_devstack.components import ServiceProcess
from gatehouse_devstack.mailbox_client import MailboxClient
from gatehouse_devstack.stack import Stack, free_ports
from tests.journeys import (
    Account,
    answer_second_factor,
    away_from_step_edge,
    bearer,
    create_account,
    identity_client,
    password_session,
    start_challenge,
    totp_code,
)
from tests.oidc_helpers import Browser, form_to

pytestmark = pytest.mark.stack
FUTURE_SUNSET = "2099-12-31"
GATEWAY_TOKEN = "sms-gateway-test-token"
MOBILE = "+46 70 123 45 67"


@dataclass
class Gateway:
    url: str
    received: list[dict[str, Any]] = field(default_factory=list)

    def code_for(self, to: str) -> str:
        texts = [item["text"] for item in self.received if item["to"] == to]
        assert texts, f"no SMS to {to}; got {self.received}"
        match = re.search(r"\b(\d{6})\b", texts[-1])
        assert match, texts[-1]
        return match.group(1)


@pytest.fixture(scope="module")
def gateway() -> Iterator[Gateway]:
    """An SMS provider's HTTP API: records what it is asked to send."""
    received: list[dict[str, Any]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            body["authorization"] = self.headers.get("Authorization")
            received.append(body)
            self.send_response(202)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    (port,) = free_ports(1)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Gateway(url=f"http://127.0.0.1:{port}/messages", received=received)
    server.shutdown()


@pytest.fixture(scope="module")
def before_sunset(stack: Stack, gateway: Gateway) -> Iterator[str]:
    """Base URL of an identity process for which the SMS sunset is still ahead."""
    http_port, grpc_port = free_ports(2)
    env = stack.env_for("identity") | {
        "HTTP_PORT": str(http_port),
        "GRPC_PORT": str(grpc_port),
        "SMS_SUNSET_DATE": FUTURE_SUNSET,
        "SMS_PROVIDER": "http",
        "SMS_HTTP_URL": gateway.url,
        "SMS_HTTP_TOKEN": GATEWAY_TOKEN,
    }
    process = ServiceProcess(
        "identity-before-sunset",
        "gatehouse_identity",
        env,
        log_path=stack.logs_dir / "identity-before-sunset.log",
        python=sys.executable,
    )
    process.start()
    yield process.url
    process.stop()


def enrol_phone(client: httpx.Client, token: str, gateway: Gateway) -> dict[str, Any]:
    added = client.post(
        "/api/v1/me/phone-numbers", json={"phone_number": MOBILE}, headers=bearer(token)
    )
    assert added.status_code == 201, added.text
    assert added.json()["sent_to"] == "+46 ••• •• 67"
    assert added.json()["sms_sunset_date"] == FUTURE_SUNSET
    code = gateway.code_for("+46701234567")
    assert gateway.received[-1]["authorization"] == f"Bearer {GATEWAY_TOKEN}"
    confirmed = client.post(
        f"/api/v1/me/phone-numbers/{added.json()['factor_id']}/confirm",
        json={"code": code},
        headers=bearer(token),
    )
    assert confirmed.status_code == 200, confirmed.text
    result: dict[str, Any] = confirmed.json()
    return result


def sms_only_account(
    stack: Stack, mailbox: MailboxClient, before_sunset: str, gateway: Gateway
) -> Account:
    with identity_client(stack) as main:
        account = create_account(main, mailbox)
    with httpx.Client(base_url=before_sunset, timeout=30) as early:
        token = password_session(early, account)["session_token"]
        enrol_phone(early, token, gateway)
    return account


def test_before_the_sunset_sms_signs_in_with_a_warning(
    stack: Stack, mailbox: MailboxClient, before_sunset: str, gateway: Gateway
) -> None:
    with identity_client(stack) as main:
        account = create_account(main, mailbox)
    with httpx.Client(base_url=before_sunset, timeout=30) as early:
        token = password_session(early, account)["session_token"]
        for number in (
            "0701234567",
            "+46 70 12",
            "+46 8 123 456 78",
            "+1 555 555 0100",
            "tel:+4670",
            "+" + "9" * 20,
        ):
            refused = early.post(
                "/api/v1/me/phone-numbers", json={"phone_number": number}, headers=bearer(token)
            )
            assert refused.status_code == 422, (number, refused.text)
            assert refused.json()["detail"][0]["loc"][-1] == "phone_number"
        enrolled = enrol_phone(early, token, gateway)
        assert len(enrolled["recovery_codes"]) == 10

        session = password_session(early, account)
        assert session["available_methods"] == ["sms", "recovery_code"]
        assert session["sms_sunset_warning"] == FUTURE_SUNSET
        sent = start_challenge(early, session["session_token"], "sms")
        assert sent.status_code == 201, sent.text
        assert sent.json()["sms_sunset_warning"] == FUTURE_SUNSET
        code = gateway.code_for("+46701234567")
        short = answer_second_factor(early, session["session_token"], method="sms", code="12345")
        assert short.status_code == 422
        assert short.json()["detail"][0]["loc"] == ["body", "code"]
        stepped = answer_second_factor(early, session["session_token"], method="sms", code=code)
        assert stepped.status_code == 200, stepped.text
        assert stepped.json()["level"] == "multi_factor"
        assert stepped.json()["amr"] == ["pwd", "sms", "mfa"]
        sms_session = stepped.json()["session_token"]

    # The same session, judged after the sunset: SMS alone is no longer multi-factor.
    with identity_client(stack) as main:
        current = main.get("/api/v1/sessions/current", headers=bearer(sms_session)).json()
        assert current["level"] == "password"


def test_after_the_sunset_sms_is_neither_offered_nor_accepted_nor_enrolled(
    stack: Stack, mailbox: MailboxClient, before_sunset: str, gateway: Gateway
) -> None:
    account = sms_only_account(stack, mailbox, before_sunset, gateway)
    with identity_client(stack) as main:
        session = password_session(main, account)
        assert session["second_factor_required"] is True
        assert session["available_methods"] == []  # not SMS, and no recovery codes alone
        assert session["enrolment_required"] is True
        token = session["session_token"]
        challenge = start_challenge(main, token, "sms")
        assert challenge.status_code == 403
        assert "withdrawn" in challenge.text
        assert challenge.json()["detail"][0]["loc"] == ["body", "method"]
        answer = answer_second_factor(main, token, method="sms", code="123456")
        assert answer.status_code == 403
        enrol = main.post(
            "/api/v1/me/phone-numbers", json={"phone_number": MOBILE}, headers=bearer(token)
        )
        assert enrol.status_code == 403
        assert enrol.json()["sms_sunset_date"] == "2025-06-30"


def test_sms_only_user_after_the_sunset_must_enrol_another_method_first(
    stack: Stack, mailbox: MailboxClient, before_sunset: str, gateway: Gateway
) -> None:
    account = sms_only_account(stack, mailbox, before_sunset, gateway)
    base = stack.identity_url
    browser = Browser()
    login = browser.get(f"{base}/login?next=/account&level=multi_factor")
    form = form_to(login.text, "/login")
    second = browser.post(
        f"{base}/login", data=form.fields | {"email": account.email, "password": account.password}
    )
    assert second.status_code == 303
    enrol_page = browser.get(f"{base}{second.headers['location']}")
    assert enrol_page.status_code == 200
    assert "withdrawn" in enrol_page.text or "no longer accepted" in enrol_page.text
    assert "/account/security/authenticator-apps/new" in enrol_page.text
    # The multi-factor page stays out of reach: back to the second step, every time.
    again = browser.get(f"{base}/login?next=/account&level=multi_factor")
    assert again.status_code == 303
    assert again.headers["location"].startswith("/login/second-factor?")

    # Enrolling is allowed with the password alone (nothing usable is left)...
    away_from_step_edge()
    totp_form = browser.get(f"{base}/account/security/authenticator-apps/new")
    assert totp_form.status_code == 200
    form = form_to(totp_form.text, "/account/security/authenticator-apps/new")
    qr_page = browser.post(f"{base}{form.action}", data=form.fields)
    assert qr_page.status_code == 200
    secret_match = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', qr_page.text)
    assert secret_match
    secret = secret_match.group(1).replace(" ", "")
    confirm = form_to(qr_page.text, "/account/security/authenticator-apps/")
    done = browser.post(
        f"{base}{confirm.action}", data=confirm.fields | {"code": totp_code(secret, steps=-1)}
    )
    assert done.status_code == 200, done.text
    # ...and then the second step offers the new method and leads on to the page.
    step = browser.get(f"{base}/login?next=/account&level=multi_factor")
    choose = browser.get(f"{base}{step.headers['location']}")
    assert "/login/second-factor/totp?" in choose.text
    assert "/login/second-factor/sms?" not in choose.text
    code_page = browser.get(f"{base}/login/second-factor/totp?next=/account&level=multi_factor")
    form = form_to(code_page.text, "/login/second-factor/totp")
    signed = browser.post(f"{base}{form.action}", data=form.fields | {"code": totp_code(secret)})
    assert signed.status_code == 303, signed.text
    assert signed.headers["location"] == "/account"


def test_web_phone_enrolment_and_sms_sign_in_before_the_sunset(
    stack: Stack, mailbox: MailboxClient, before_sunset: str, gateway: Gateway
) -> None:
    with identity_client(stack) as main:
        account = create_account(main, mailbox)
    browser = Browser()
    login = browser.get(f"{before_sunset}/login?next=/account/security/phone-numbers/new")
    form = form_to(login.text, "/login")
    browser.post(
        f"{before_sunset}/login",
        data=form.fields | {"email": account.email, "password": account.password},
    )
    page = browser.get(f"{before_sunset}/account/security/phone-numbers/new")
    assert FUTURE_SUNSET in page.text
    form = form_to(page.text, "/account/security/phone-numbers/new")
    refused = browser.post(
        f"{before_sunset}{form.action}", data=form.fields | {"phone_number": "0701234567"}
    )
    assert refused.status_code == 422
    assert "international format" in refused.text
    sent = browser.post(
        f"{before_sunset}{form.action}", data=form.fields | {"phone_number": MOBILE}
    )
    assert sent.status_code == 200, sent.text
    confirm = form_to(sent.text, "/account/security/phone-numbers/")
    wrong = browser.post(f"{before_sunset}{confirm.action}", data=confirm.fields | {"code": "12"})
    assert wrong.status_code == 422
    done = browser.post(
        f"{before_sunset}{confirm.action}",
        data=confirm.fields | {"code": gateway.code_for("+46701234567")},
    )
    assert done.status_code == 200, done.text
    assert "recovery-codes" in done.text
    # After the sunset the same page says SMS is withdrawn and offers no form.
    main_browser = Browser()
    login = main_browser.get(f"{stack.identity_url}/login?next=/account")
    form = form_to(login.text, "/login")
    main_browser.post(
        f"{stack.identity_url}/login",
        data=form.fields | {"email": account.email, "password": account.password},
    )
    withdrawn = main_browser.get(f"{stack.identity_url}/account/security/phone-numbers/new")
    assert withdrawn.status_code == 403
    assert "2025-06-30" in withdrawn.text

    browser = Browser()
    login = browser.get(f"{before_sunset}/login?next=/account")
    form = form_to(login.text, "/login")
    second = browser.post(
        f"{before_sunset}/login",
        data=form.fields | {"email": account.email, "password": account.password},
    )
    choose = browser.get(f"{before_sunset}{second.headers['location']}")
    assert FUTURE_SUNSET in choose.text  # the warning, with the date
    sms_page = browser.get(f"{before_sunset}/login/second-factor/sms?next=/account")
    assert FUTURE_SUNSET in sms_page.text
    send = form_to(sms_page.text, "/login/second-factor/sms/send")
    code_page = browser.post(f"{before_sunset}{send.action}", data=send.fields)
    assert code_page.status_code == 200, code_page.text
    assert "+46 ••• •• 67" in code_page.text
    assert FUTURE_SUNSET in code_page.text
    form = form_to(code_page.text, "/login/second-factor/sms")
    signed = browser.post(
        f"{before_sunset}{form.action}",
        data=form.fields | {"code": gateway.code_for("+46701234567")},
    )
    assert signed.status_code == 303, signed.text
    assert signed.headers["location"] == "/account"
