"""Where SMS texts go: the provider's HTTP API in production, the log in development.

Identity sends SMS codes itself rather than through an event and the notifier: an event would
have to carry the code (events never carry secrets) or the notifier would have to fetch it back
over gRPC, and either way the code would rest in the outbox, NATS or the notifier's tables. A
code that arrives late is useless anyway, so the durable retries of the outbox buy nothing; a
provider failure is better shown to the user at once ("could not send, try again").
"""

from __future__ import annotations

import logging
from typing import Protocol

import httpx

logger = logging.getLogger("gatehouse_identity.sms")


class SmsDeliveryError(Exception):
    pass


class SmsSender(Protocol):
    async def send(self, *, to: str, text: str) -> None:
        """Hand `text` to the provider for `to` (E.164); raise SmsDeliveryError on failure."""


class LogSmsSender:
    """Development and tests: the text goes to identity's log (one JSON line, logger
    `gatehouse_identity.sms`, message "development SMS"), where developers read it. Nothing is
    sent. Never configure this in production: the log then holds sign-in codes."""

    async def send(self, *, to: str, text: str) -> None:
        logger.warning("development SMS", extra={"sms_to": to, "sms_text": text})


class HttpSmsSender:
    """An SMS gateway's HTTP API: POST {"to": "+46...", "text": "..."} with a bearer token."""

    def __init__(self, *, url: str, token: str, timeout_s: float) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError("SMS_HTTP_URL must be an http(s) URL when SMS_PROVIDER=http")
        self._url = url
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._timeout = timeout_s

    async def send(self, *, to: str, text: str) -> None:
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.post(
                    self._url, json={"to": to, "text": text}, headers=self._headers
                )
        except httpx.HTTPError as error:
            raise SmsDeliveryError(f"SMS provider unreachable: {type(error).__name__}") from error
        if response.status_code >= 300:
            raise SmsDeliveryError(f"SMS provider answered {response.status_code}")
