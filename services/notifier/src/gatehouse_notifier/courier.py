"""The courier: sends the queued e-mails over SMTP, retrying with backoff, on every replica.

Each message is sent inside its own database transaction that holds the row locked (`FOR UPDATE
SKIP LOCKED`): replicas never take the same row, and if a replica dies the database rolls its
transaction back and the row is due again at once, with nothing to wait for.

The promise: no e-mail is lost, and one is sent twice only if the notifier dies (or loses its
database) between the server's 250 and the commit that records it; the copy carries the same
Message-ID (mail.message_id_header), so the receiving side can recognise it.

It holds because the server is responsible for a message only once it has said 250 to the final
"." of DATA (RFC 5321 4.1.1.4), and "sent" is committed only after that 250 has been read:

- killed before the 250 arrived (before DATA, after the ".", with the 250 still unread): the
  database rolls the claim back, the row is due again at once and is sent again; a server that
  saw the connection drop before its 250 has discarded its copy;
- killed between the 250 and the commit: the same, and this time the server has a copy: the
  one duplicate the promise allows;
- a refusal is recorded as failed (retried with backoff) or abandoned (5xx about the message);
- the reply never comes (connection lost after the "."): not delivered (RFC 5321), sent again.

tests/test_notifier_faults.py has the mailbox kill the notifier at each of these steps.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Any

import aiosmtplib
import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncTransaction

from gatehouse_common.db import DATABASE_ERRORS, Database
from gatehouse_notifier import queries
from gatehouse_notifier.backoff import backoff_delay
from gatehouse_notifier.mail import (
    COMPLETED,
    CONNECTION_ERRORS,
    SendFailure,
    await_reply,
    build_email,
    classify,
    reset_quietly,
    send_all_but_end_of_data,
    send_end_of_data,
    smtp_client,
)
from gatehouse_notifier.messages import ClaimedMessage, Status
from gatehouse_notifier.metrics import DELIVERY_SECONDS, MESSAGES
from gatehouse_notifier.settings import NotifierSettings

logger = logging.getLogger(__name__)

SMTP_ERRORS = (*CONNECTION_ERRORS, aiosmtplib.SMTPException)
# SMTP round trips in one message's transaction: connect+EHLO (+STARTTLS, AUTH), MAIL, RCPT, DATA.
SMTP_STEPS_PER_MESSAGE = 6


class Courier:
    def __init__(
        self, *, database: Database, settings: NotifierSettings, wake: asyncio.Event
    ) -> None:
        self._database = database
        self._settings = settings
        self._wake = wake
        self._smtp: aiosmtplib.SMTP | None = None
        # Consecutive failures to reach the SMTP server: the courier itself backs off, so an
        # outage costs one attempt per pause, not one per queued message.
        self._unreachable = 0
        self._idle_timeout_s = settings.smtp_timeout_s * SMTP_STEPS_PER_MESSAGE + 30

    async def run(self) -> None:
        """Send until cancelled: whatever is due, then wait for a wake-up or the next poll."""
        try:
            while True:
                self._wake.clear()
                try:
                    while (taken := await self.deliver_due()) == self._settings.courier_batch_size:
                        pass
                    if taken == 0:
                        self._unreachable = 0  # nothing was due: the next message tries at once
                except DATABASE_ERRORS as error:
                    logger.warning("courier cannot reach the database", extra={"error": str(error)})
                await self._close_smtp()
                if self._unreachable:
                    # Wake-ups do not shorten this pause: the server is down for everyone.
                    await asyncio.sleep(self._pause())
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self._settings.courier_poll_s)
        finally:
            await self._close_smtp()

    async def deliver_due(self) -> int:
        """Send up to one batch of due messages, one transaction each; how many were taken.

        Stops early when the SMTP server cannot be reached (the rest stay due).
        """
        taken = 0
        while taken < self._settings.courier_batch_size:
            # A connection of its own, not `database.transaction()`: the claim commits midway.
            async with self._database.engine.connect() as connection:
                claim = _Claim(connection)
                await claim.begin()
                try:
                    message = await queries.claim_next(
                        connection, idle_timeout_s=self._idle_timeout_s
                    )
                    if message is None:
                        return taken
                    taken += 1
                    try:
                        reached = await self._deliver(claim, message)
                    except BaseException:
                        # Shutdown or a lost database in mid-send: drop the SMTP connection
                        # without QUIT, so the server discards a message it has not finished.
                        self._abort_smtp()
                        raise
                finally:
                    await claim.rollback_unless_committed()
            if not reached:
                return taken
        return taken

    async def _deliver(self, claim: _Claim, message: ClaimedMessage) -> bool:
        """Send one claimed message and settle its row; False if the server was unreachable."""
        attempt = message.attempts + 1
        if attempt > self._settings.delivery_max_attempts:
            reason = "gave up: no attempts left"
            await self._abandon(claim.connection, message, attempt - 1, reason)
            await claim.commit()
            return True
        try:
            smtp = await self._connection()
        except SMTP_ERRORS as error:
            self._unreachable += 1
            await self._failed(claim.connection, message, attempt, classify(error))
            await claim.commit()
            return False
        self._unreachable = 0
        if await self._send_all_but_end(claim, smtp, message, attempt):
            await self._end_and_commit(claim, smtp, message, attempt)
        return True

    async def _send_all_but_end(
        self, claim: _Claim, smtp: aiosmtplib.SMTP, message: ClaimedMessage, attempt: int
    ) -> bool:
        """Envelope and text; False (the failure recorded and committed) if refused or cut."""
        try:
            await send_all_but_end_of_data(
                smtp,
                build_email(message, settings=self._settings),
                sender=self._settings.mail_from_address,
                recipient=message.recipient_email,
            )
        except SMTP_ERRORS as error:
            failure = classify(error)
            if failure.connection_lost:
                await self._close_smtp()
            else:
                await reset_quietly(smtp)
            await self._failed(claim.connection, message, attempt, failure)
            await claim.commit()
            return False
        return True

    async def _end_and_commit(
        self, claim: _Claim, smtp: aiosmtplib.SMTP, message: ClaimedMessage, attempt: int
    ) -> None:
        """The final ".", the server's reply, and only then the record of it (module docstring)."""
        connection = claim.connection
        reply = await await_reply(smtp)
        try:
            send_end_of_data(smtp)
            response = await reply
        except SMTP_ERRORS as error:
            # No 250 read: not delivered as far as we can know (RFC 5321 4.1.1.4).
            _discard(reply)
            await self._close_smtp()
            await self._failed(connection, message, attempt, classify(error))
            await claim.commit()
            return
        if response.code != COMPLETED:
            failure = classify(aiosmtplib.SMTPDataError(response.code, response.message))
            await self._failed(connection, message, attempt, failure)
            await claim.commit()
            return
        await queries.record_sent(connection, message.id, attempts=attempt)
        await claim.commit()
        MESSAGES.labels(message.template, Status.SENT).inc()
        waited = datetime.now(UTC) - message.event_time
        DELIVERY_SECONDS.observe(max(0.0, waited.total_seconds()))
        logger.info("message sent", extra=_log(message, attempt))

    async def _failed(
        self,
        connection: AsyncConnection,
        message: ClaimedMessage,
        attempt: int,
        failure: SendFailure,
    ) -> None:
        if failure.permanent:
            await self._abandon(connection, message, attempt, failure.reason)
            return
        if attempt >= self._settings.delivery_max_attempts:
            reason = f"gave up after {attempt} attempts: {failure.reason}"
            await self._abandon(connection, message, attempt, reason)
            return
        delay = backoff_delay(
            attempt,
            base_s=self._settings.delivery_retry_base_s,
            max_s=self._settings.delivery_retry_max_s,
        )
        await queries.record_failed(
            connection,
            message.id,
            attempts=attempt,
            error=failure.reason,
            retry_in_s=delay,
        )
        MESSAGES.labels(message.template, Status.FAILED).inc()
        logger.warning(
            "delivery failed; will retry",
            extra={
                **_log(message, attempt),
                "error": failure.reason,
                "retry_in_s": round(delay, 2),
            },
        )

    async def _abandon(
        self,
        connection: AsyncConnection,
        message: ClaimedMessage,
        attempt: int,
        reason: str,
    ) -> None:
        await queries.record_abandoned(connection, message.id, attempts=attempt, error=reason)
        MESSAGES.labels(message.template, Status.ABANDONED).inc()
        logger.error("message abandoned", extra={**_log(message, attempt), "error": reason})

    async def _connection(self) -> aiosmtplib.SMTP:
        if self._smtp is not None and self._smtp.is_connected:
            return self._smtp
        await self._close_smtp()
        smtp = smtp_client(self._settings)
        await smtp.connect()
        self._smtp = smtp
        return smtp

    def _abort_smtp(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()

    async def _close_smtp(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None or not smtp.is_connected:
            return
        try:
            await smtp.quit()
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            smtp.close()

    def _pause(self) -> float:
        return backoff_delay(
            self._unreachable,
            base_s=self._settings.delivery_retry_base_s,
            max_s=self._settings.delivery_retry_max_s,
        )


async def run_couriers(
    *, database: Database, settings: NotifierSettings, wake: asyncio.Event
) -> None:
    """COURIER_CONCURRENCY couriers (each its own SMTP connection and row), woken together by
    the consumer in this process or, through one LISTEN connection, by any other replica."""
    listener = await _listen(settings, wake)
    try:
        couriers = [
            Courier(database=database, settings=settings, wake=wake)
            for _ in range(settings.courier_concurrency)
        ]
        await asyncio.gather(*(courier.run() for courier in couriers))
    finally:
        if listener is not None:
            await listener.close()


async def _listen(settings: NotifierSettings, wake: asyncio.Event) -> asyncpg.Connection | None:
    """LISTEN on a connection of its own, opened with asyncpg: SQLAlchemy has no notification
    API, and a pooled connection would carry the LISTEN to whoever borrows it next."""

    def on_notify(*_args: Any) -> None:
        wake.set()

    try:
        connection: asyncpg.Connection = await asyncpg.connect(settings.database_url)
        await connection.add_listener(queries.NOTIFY_CHANNEL, on_notify)
    except (OSError, asyncpg.PostgresError):
        logger.warning("courier cannot LISTEN; polling only")
        return None
    return connection


def _discard(reply: asyncio.Task[aiosmtplib.SMTPResponse]) -> None:
    """Stop waiting for a reply, and never log its exception as unretrieved."""
    reply.cancel()
    reply.add_done_callback(lambda task: task.cancelled() or task.exception())


class _Claim:
    """One message's transaction, committed midway by the courier (so not `async with`)."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection
        self._transaction: AsyncTransaction | None = None

    async def begin(self) -> None:
        self._transaction = await self.connection.begin()

    async def commit(self) -> None:
        # Forgotten first: a failed COMMIT leaves nothing to roll back.
        transaction, self._transaction = self._transaction, None
        if transaction is not None:
            await transaction.commit()

    async def rollback_unless_committed(self) -> None:
        transaction, self._transaction = self._transaction, None
        if transaction is not None:
            with contextlib.suppress(*DATABASE_ERRORS):
                await transaction.rollback()


def _log(message: ClaimedMessage, attempt: int) -> dict[str, Any]:
    # Never the address, subject or bodies: the bodies carry single-use links.
    return {"message_id": str(message.id), "template": message.template, "attempts": attempt}
