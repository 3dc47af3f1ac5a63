"""The courier: sends the queued e-mails over SMTP, retrying with backoff, on every replica.

Rows are claimed with `FOR UPDATE SKIP LOCKED`, so replicas share the work without sending a
row twice. A claim is a lease: if a replica dies mid-send, the row becomes due again when the
lease ends and another replica sends it (same Message-ID, so a duplicate is recognisable).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

import aiosmtplib
import asyncpg

from gatehouse_notifier import store
from gatehouse_notifier.backoff import backoff_delay
from gatehouse_notifier.mail import (
    CONNECTION_ERRORS,
    SendFailure,
    build_email,
    classify,
    smtp_client,
)
from gatehouse_notifier.metrics import DELIVERY_SECONDS, MESSAGES
from gatehouse_notifier.settings import NotifierSettings
from gatehouse_notifier.store import ClaimedMessage, Status

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


class Courier:
    def __init__(
        self, *, pool: asyncpg.Pool, settings: NotifierSettings, wake: asyncio.Event
    ) -> None:
        self._pool = pool
        self._settings = settings
        self._wake = wake

    async def run(self) -> None:
        """Send until cancelled: whatever is due, then wait for a wake-up or the next poll."""
        listener = await self._listen()
        try:
            while True:
                self._wake.clear()
                try:
                    while await self.deliver_due() == self._settings.courier_batch_size:
                        pass
                except DATABASE_ERRORS as error:
                    logger.warning("courier cannot reach the database", extra={"error": str(error)})
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self._settings.courier_poll_s)
        finally:
            if listener is not None:
                await listener.close()

    async def deliver_due(self) -> int:
        """Claim and send one batch of due messages; returns how many were claimed."""
        claimed = await store.claim_due(
            self._pool,
            limit=self._settings.courier_batch_size,
            lease_s=self._settings.courier_lease_s,
        )
        if claimed:
            await self._deliver(claimed)
        return len(claimed)

    async def _deliver(self, batch: Sequence[ClaimedMessage]) -> None:
        smtp: aiosmtplib.SMTP | None = None
        try:
            for index, message in enumerate(batch):
                if message.attempts > self._settings.delivery_max_attempts:
                    # Reclaimed after a crash on its last allowed attempt.
                    await self._abandon(message, "gave up: no attempts left after an interruption")
                    continue
                if smtp is None:
                    try:
                        smtp = await self._connect()
                    except (*CONNECTION_ERRORS, aiosmtplib.SMTPException) as error:
                        unreachable = classify(error)
                        for waiting in batch[index:]:
                            await self._failed(waiting, unreachable)
                        return
                failure = await self._send(smtp, message)
                if failure is not None and failure.connection_lost:
                    await _close_quietly(smtp)
                    smtp = None
        finally:
            if smtp is not None:
                await _close_quietly(smtp)

    async def _connect(self) -> aiosmtplib.SMTP:
        smtp = smtp_client(self._settings)
        await smtp.connect()
        return smtp

    async def _send(self, smtp: aiosmtplib.SMTP, message: ClaimedMessage) -> SendFailure | None:
        email = build_email(message, settings=self._settings)
        try:
            await smtp.send_message(email, sender=self._settings.mail_from_address)
        except (*CONNECTION_ERRORS, aiosmtplib.SMTPException) as error:
            failure = classify(error)
            await self._failed(message, failure)
            return failure
        await self._sent(message)
        return None

    async def _sent(self, message: ClaimedMessage) -> None:
        sent_at = await store.mark_sent(self._pool, message)
        if sent_at is None:
            logger.warning("sent a message whose lease had passed", extra=_log(message))
            return
        MESSAGES.labels(message.template, Status.SENT).inc()
        DELIVERY_SECONDS.observe(max(0.0, (sent_at - message.event_time).total_seconds()))
        logger.info("message sent", extra=_log(message))

    async def _failed(self, message: ClaimedMessage, failure: SendFailure) -> None:
        if failure.permanent:
            await self._abandon(message, failure.reason)
            return
        if message.attempts >= self._settings.delivery_max_attempts:
            await self._abandon(
                message, f"gave up after {message.attempts} attempts: {failure.reason}"
            )
            return
        delay = backoff_delay(
            message.attempts,
            base_s=self._settings.delivery_retry_base_s,
            max_s=self._settings.delivery_retry_max_s,
        )
        await store.mark_failed(self._pool, message, error=failure.reason, retry_in_s=delay)
        MESSAGES.labels(message.template, Status.FAILED).inc()
        logger.warning(
            "delivery failed; will retry",
            extra={**_log(message), "error": failure.reason, "retry_in_s": round(delay, 2)},
        )

    async def _abandon(self, message: ClaimedMessage, reason: str) -> None:
        await store.mark_abandoned(self._pool, message, error=reason)
        MESSAGES.labels(message.template, Status.ABANDONED).inc()
        logger.error("message abandoned", extra={**_log(message), "error": reason})

    async def _listen(self) -> asyncpg.Connection | None:
        try:
            connection: asyncpg.Connection = await asyncpg.connect(self._settings.database_url)
            await connection.add_listener(store.NOTIFY_CHANNEL, self._on_notify)
        except (OSError, asyncpg.PostgresError):
            logger.warning("courier cannot LISTEN; polling only")
            return None
        return connection

    def _on_notify(self, *_args: Any) -> None:
        self._wake.set()


def _log(message: ClaimedMessage) -> dict[str, Any]:
    # Never the address, subject or bodies: the bodies carry single-use links.
    return {
        "message_id": str(message.id),
        "template": message.template,
        "attempts": message.attempts,
    }


async def _close_quietly(smtp: aiosmtplib.SMTP) -> None:
    try:
        await smtp.quit()
    except (aiosmtplib.SMTPException, OSError, TimeoutError):
        smtp.close()
