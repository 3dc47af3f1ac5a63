"""The couriers: send the queued e-mails over SMTP, in batches, on every replica.

Each courier keeps one SMTP connection open while there is work (smtp.py: pipelined where the
server offers it, re-opened after an error) and works in rounds: in one database transaction it
locks a batch of due rows (`FOR UPDATE SKIP LOCKED`: replicas and couriers never share a row),
sends them over its connection, records each one's outcome and commits. If a courier dies, the
database rolls its transaction back and the rows are due again at once, with nothing to wait for.

The promise: no e-mail is lost, and one is sent twice only when the server accepted it (said
250) and the notifier died, or lost its database, before committing that 250; the copy carries
the same Message-ID (mail.message_id_header), so the receiving side can recognise it.

It holds because the server is responsible for a message only once it has said 250 to the final
"." of DATA (RFC 5321 4.1.1.4), and "sent" is committed only after that 250 has been read:

- killed before the server said 250 (before DATA, or after the "." with the server not yet
  answering): the database rolls the claim back, the row is due again at once and is sent
  again; a server that noticed the connection drop before its 250 has discarded its copy;
- killed after the server said 250 but before the commit (the 250 unread, or read and not yet
  committed; for a round, every message answered in it): the same, and this time the server has
  a copy: the duplicate the promise allows. A server that processes a "." still in its buffer
  after the client died, and says 250 to nobody, makes one too;
- a refusal is recorded as failed (retried with backoff) or abandoned (5xx about the message);
- the reply never comes (connection lost after the "."): not delivered (RFC 5321), sent again.

tests/test_notifier_faults.py has the mailbox kill the notifier at each of these steps.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncTransaction

from gatehouse_common.db import DATABASE_ERRORS, Database
from gatehouse_notifier import queries
from gatehouse_notifier.backoff import backoff_delay
from gatehouse_notifier.mail import Letter, compose, needs_smtputf8
from gatehouse_notifier.messages import ClaimedMessage, Settled, Status
from gatehouse_notifier.metrics import DELIVERY_SECONDS, MESSAGES
from gatehouse_notifier.settings import NotifierSettings
from gatehouse_notifier.smtp import CONNECTION_ERRORS, Outcome, Outgoing, SmtpConnection

logger = logging.getLogger(__name__)

# How long a round's transaction may sit idle: connecting (greeting, EHLO, STARTTLS, AUTH) and
# sending, each bounded by SMTP_TIMEOUT_S, and a margin.
SMTP_WAITS_PER_ROUND = 6


class Courier:
    def __init__(
        self, *, database: Database, settings: NotifierSettings, wake: asyncio.Event
    ) -> None:
        self._database = database
        self._settings = settings
        self._wake = wake
        self._smtp: SmtpConnection | None = None
        # Consecutive failures to reach the SMTP server: the courier itself backs off, so an
        # outage costs one attempt per pause, not one per queued message.
        self._unreachable = 0
        self._idle_timeout_s = settings.smtp_timeout_s * SMTP_WAITS_PER_ROUND + 30

    async def run(self) -> None:
        """Send until cancelled: whatever is due, then wait for a wake-up or the next poll."""
        try:
            while True:
                self._wake.clear()
                try:
                    batch = self._settings.courier_batch_size
                    while (taken := await self.deliver_due()) == batch and not self._unreachable:
                        pass
                    if taken == 0:
                        self._unreachable = 0  # nothing was due: the next message tries at once
                except DATABASE_ERRORS as error:
                    logger.warning("courier cannot reach the database", extra={"error": str(error)})
                if self._unreachable:
                    # Wake-ups do not shorten this pause: the server is down for everyone.
                    await asyncio.sleep(self._pause())
                    continue
                await self._idle()
        finally:
            await self._close_smtp()

    async def deliver_due(self) -> int:
        """One round: claim a batch of due messages, send them, record what became of each.
        Returns how many were claimed."""
        # A connection of its own, not `database.transaction()`: the round commits midway.
        async with self._database.engine.connect() as connection:
            round_ = _Round(connection)
            await round_.begin()
            try:
                claimed = await queries.claim_due(
                    connection,
                    limit=self._settings.courier_batch_size,
                    idle_timeout_s=self._idle_timeout_s,
                )
                if claimed:
                    settled = await self._send(claimed)
                    await queries.record_settled(connection, settled)
                    await round_.commit()  # only now is anything recorded as sent
                    _count(claimed, settled)
                return len(claimed)
            except BaseException:
                # Shutdown or a lost database in mid-round: drop the SMTP connection without
                # QUIT, so the server discards a message it has not finished.
                self._abort_smtp()
                raise
            finally:
                await round_.rollback_unless_committed()

    async def _send(self, claimed: Sequence[ClaimedMessage]) -> list[Settled]:
        """Send what may still be sent; the outcome of each claimed message (none for one
        not tried, which stays as it was)."""
        ready = [m for m in claimed if m.attempts < self._settings.delivery_max_attempts]
        settled = [
            Settled(m.id, Status.ABANDONED, m.attempts, "gave up: no attempts left")
            for m in claimed
            if m.attempts >= self._settings.delivery_max_attempts
        ]
        if not ready:
            return settled
        try:
            smtp = await self._connection()
        except CONNECTION_ERRORS as error:
            # One message records the failure and the courier pauses; the rest are left as they
            # were, so an outage costs one attempt per pause, not one per queued message.
            self._unreachable += 1
            failure = Outcome(False, f"SMTP server unreachable: {error}", connection_lost=True)
            return [*settled, self._settle(ready[0], failure)]
        self._unreachable = 0
        outcomes = await smtp.send(
            [self._outgoing(m) for m in ready], within_s=self._settings.smtp_timeout_s
        )
        if not smtp.is_open:
            self._smtp = None
        return settled + [
            self._settle(m, outcome)
            for m, outcome in zip(ready, outcomes, strict=True)
            if outcome.tried
        ]

    def _settle(self, message: ClaimedMessage, outcome: Outcome) -> Settled:
        attempt = message.attempts + 1
        if outcome.accepted:
            return Settled(message.id, Status.SENT, attempt)
        if outcome.permanent:
            return Settled(message.id, Status.ABANDONED, attempt, outcome.reason)
        if attempt >= self._settings.delivery_max_attempts:
            reason = f"gave up after {attempt} attempts: {outcome.reason}"
            return Settled(message.id, Status.ABANDONED, attempt, reason)
        delay = backoff_delay(
            attempt,
            base_s=self._settings.delivery_retry_base_s,
            max_s=self._settings.delivery_retry_max_s,
        )
        return Settled(message.id, Status.FAILED, attempt, outcome.reason, delay)

    def _outgoing(self, message: ClaimedMessage) -> Outgoing:
        letter = Letter(
            sender_name=message.sender_name,
            recipient_name=message.recipient_name,
            recipient_email=message.recipient_email,
            subject=message.subject,
            body_text=message.body_text,
            body_html=message.body_html,
            language=message.language,
            message_id_header=message.message_id_header,
        )
        sender = self._settings.mail_from_address
        return Outgoing(
            sender=sender,
            recipient=message.recipient_email,
            payload=compose(letter, mail_from=self._settings.mail_from),
            smtputf8=needs_smtputf8(sender, message.recipient_email),
        )

    async def _connection(self) -> SmtpConnection:
        if self._smtp is not None and self._smtp.is_open:
            return self._smtp
        self._abort_smtp()
        self._smtp = await SmtpConnection.open(self._settings)
        return self._smtp

    async def _idle(self) -> None:
        """Wait for work; a connection unused for a while is closed politely meanwhile."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._settings.smtp_idle_s):
                await self._wait_for_work()
                return
        await self._close_smtp()
        await self._wait_for_work()

    async def _wait_for_work(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=self._settings.courier_poll_s)

    def _abort_smtp(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.abort()

    async def _close_smtp(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            await smtp.close()

    def _pause(self) -> float:
        return backoff_delay(
            self._unreachable,
            base_s=self._settings.delivery_retry_base_s,
            max_s=self._settings.delivery_retry_max_s,
        )


async def run_couriers(
    *, database: Database, settings: NotifierSettings, wake: asyncio.Event
) -> None:
    """COURIER_CONCURRENCY couriers (each its own SMTP connection and rows), woken together by
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


def _count(claimed: Sequence[ClaimedMessage], settled: Sequence[Settled]) -> None:
    """Metrics and log lines for a committed round."""
    by_id = {message.id: message for message in claimed}
    now = datetime.now(UTC)
    sent = []
    for item in settled:
        message = by_id[item.id]
        MESSAGES.labels(message.template, item.status).inc()
        extra = _log(message, item.attempts)
        if item.status is Status.SENT:
            DELIVERY_SECONDS.observe(max(0.0, (now - message.event_time).total_seconds()))
            sent.append(str(item.id))
        elif item.status is Status.FAILED:
            extra |= {"error": item.error, "retry_in_s": round(item.retry_in_s, 2)}
            logger.warning("delivery failed; will retry", extra=extra)
        else:
            logger.error("message abandoned", extra={**extra, "error": item.error})
    if sent:
        # One line per round, not per message: at a thousand a second, lines cost CPU.
        logger.info("messages sent", extra={"count": len(sent), "message_ids": sent})


class _Round:
    """One round's transaction, committed only after the SMTP replies (so not `async with`)."""

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
