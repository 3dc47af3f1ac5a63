"""Reading the dev mailbox from tests: list, empty, and wait for the emails a step should send."""

from __future__ import annotations

import time
from types import TracebackType
from typing import Any

import httpx

from gatehouse_devstack.mail import Message, find_links

__all__ = ["MailboxClient", "Message", "links"]

POLL_INTERVAL = 0.1


class MailboxClient:
    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout)

    def messages(self) -> list[Message]:
        """Every message in the mailbox, oldest first."""
        response = self._http.get("/api/messages")
        response.raise_for_status()
        return [Message.from_json(item) for item in response.json()]

    def clear(self) -> None:
        self._http.delete("/api/messages").raise_for_status()

    def arm_fault(self, *, step: str, action: str, skip: int = 0) -> None:
        """Inject one fault at the (skip+1)-th arrival of an SMTP conversation at `step`
        (`data`, `end_of_data`, `accepted`): `kill_client` or `drop` (see smtp_sink)."""
        body = {"step": step, "action": action, "skip": skip}
        self._http.put("/api/fault", json=body).raise_for_status()

    def fault(self) -> dict[str, Any]:
        """{"armed": {...} or None, "fired": {step, action, at, message_id, client_pid} or None}"""
        response = self._http.get("/api/fault")
        response.raise_for_status()
        state: dict[str, Any] = response.json()
        return state

    def disarm_fault(self) -> None:
        self._http.delete("/api/fault").raise_for_status()

    def wait_for(
        self,
        *,
        to: str,
        subject_contains: str | None = None,
        count: int = 1,
        timeout: float = 30,
    ) -> list[Message]:
        """The first `count` messages to `to` (and with `subject_contains`), oldest first.

        Polls until they have arrived; raises TimeoutError listing what did arrive.
        """
        deadline = time.monotonic() + timeout
        found: list[Message] = []
        while True:
            try:
                found = matching(self.messages(), to=to, subject_contains=subject_contains)
            except httpx.TransportError:
                # A mailbox just restarted re-reads its spool: a slow answer is not a missing
                # message, so keep polling until our own deadline.
                if time.monotonic() > deadline:
                    raise
                time.sleep(POLL_INTERVAL)
                continue
            if len(found) >= count:
                return found[:count]
            if time.monotonic() > deadline:
                raise TimeoutError(self._timeout_report(to, subject_contains, count, found))
            time.sleep(POLL_INTERVAL)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> MailboxClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _timeout_report(
        self, to: str, subject_contains: str | None, count: int, found: list[Message]
    ) -> str:
        wanted = f"{count} message(s) to {to}" + (
            f" with {subject_contains!r} in the subject" if subject_contains else ""
        )
        inbox = "\n".join(
            f"  {', '.join(message.envelope_recipients)}: {message.subject}"
            for message in self.messages()
        )
        return f"expected {wanted}, found {len(found)}. Mailbox holds:\n{inbox or '  (nothing)'}"


def matching(messages: list[Message], *, to: str, subject_contains: str | None) -> list[Message]:
    return [
        message
        for message in messages
        if message.is_addressed_to(to)
        and (subject_contains is None or subject_contains in message.subject)
    ]


def links(message: Message) -> list[str]:
    """The http(s) URLs in the message's text body, in order."""
    return find_links(message.text or "")
