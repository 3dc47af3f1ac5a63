"""Where SMS texts go: the HTTP provider (a local server stands in for the gateway) and the
development provider (the log)."""

from __future__ import annotations

import http.server
import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from gatehouse_devstack.stack import free_ports
from gatehouse_identity.mfa.sms_senders import HttpSmsSender, LogSmsSender, SmsDeliveryError


@pytest.fixture
def gateway() -> Iterator[tuple[str, list[dict[str, Any]], list[int]]]:
    received: list[dict[str, Any]] = []
    answers = [202]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append({**body, "authorization": self.headers.get("Authorization")})
            self.send_response(answers[0])
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    (port,) = free_ports(1)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{port}/sms", received, answers
    server.shutdown()


async def test_http_provider_posts_the_text_with_its_token(
    gateway: tuple[str, list[dict[str, Any]], list[int]],
) -> None:
    url, received, answers = gateway
    sender = HttpSmsSender(url=url, token="secret-token", timeout_s=5)
    await sender.send(to="+46701234567", text="123456 is your code")
    assert received == [
        {
            "to": "+46701234567",
            "text": "123456 is your code",
            "authorization": "Bearer secret-token",
        }
    ]
    answers[0] = 500
    with pytest.raises(SmsDeliveryError):
        await sender.send(to="+46701234567", text="again")


async def test_http_provider_unreachable_is_a_delivery_error() -> None:
    (port,) = free_ports(1)
    sender = HttpSmsSender(url=f"http://127.0.0.1:{port}/sms", token="", timeout_s=2)
    with pytest.raises(SmsDeliveryError):
        await sender.send(to="+46701234567", text="x")


def test_http_provider_needs_an_http_url() -> None:
    with pytest.raises(ValueError, match="SMS_HTTP_URL"):
        HttpSmsSender(url="", token="", timeout_s=1)


async def test_development_provider_writes_to_the_log(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="gatehouse_identity.sms"):
        await LogSmsSender().send(to="+46701234567", text="654321 is your code")
    (record,) = caplog.records
    assert record.getMessage() == "development SMS"
    assert record.__dict__["sms_to"] == "+46701234567"
    assert record.__dict__["sms_text"] == "654321 is your code"
