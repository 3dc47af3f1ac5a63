"""A persistent SMTP connection that sends many messages, pipelined when the server allows it.

aiosmtplib opens the connection (TLS or STARTTLS, EHLO, AUTH as configured); from then on this
module speaks on the same transport itself, because aiosmtplib reads one reply per command sent
and so cannot pipeline (RFC 2920). Pipelined, a message costs one round trip and one write: its
text and final "." go together with the next message's MAIL, RCPT and DATA. A server without
PIPELINING gets the same commands one at a time.

The outcome of each message is what the server said to its final "." (or the refusal before
it). A message whose reply never came counts as not delivered (RFC 5321 4.1.1.4): the courier
sends it again, with the same Message-ID.
"""

from __future__ import annotations

import asyncio
import collections
import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import aiosmtplib

from gatehouse_notifier.settings import NotifierSettings, SmtpTls

CONNECTION_ERRORS = (
    aiosmtplib.SMTPException,  # refused greeting, EHLO, STARTTLS or AUTH; lost connection
    OSError,
    TimeoutError,
)
_START_INPUT = 354
_COMPLETED = 250


@dataclass(frozen=True)
class Outgoing:
    sender: str
    recipient: str
    payload: bytes  # the DATA text: CRLF line ends, dot-stuffed, ending in CRLF
    smtputf8: bool = False


@dataclass(frozen=True)
class Reply:
    code: int
    text: str

    def __str__(self) -> str:
        return f"{self.code} {self.text}"


@dataclass(frozen=True)
class Outcome:
    """What became of one message. `accepted`: the server said 250 to its text."""

    accepted: bool
    reason: str = ""
    # The message itself will never be accepted (5xx about the recipient or the content).
    permanent: bool = False
    # No reply came for it: the connection is gone (and it was not delivered, RFC 5321).
    connection_lost: bool = False
    # Not begun: the batch's time was up (`send`'s deadline). It is as it was before.
    tried: bool = True


ACCEPTED = Outcome(accepted=True)
NOT_TRIED = Outcome(False, "not tried: the batch's time was up", tried=False)
_NO_REPLY = Outcome(False, "no reply was recorded for it", connection_lost=True)


class ConnectionLostError(Exception):
    """The connection closed, or a reply did not come in time."""


class _Replies(asyncio.Protocol):
    """Reads the server's replies off the transport, in order, however many come at once."""

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout
        self._buffer = bytearray()
        self._ready: collections.deque[Reply] = collections.deque()
        self._waiter: asyncio.Future[None] | None = None
        self.lost: Exception | None = None

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while (reply := self._parse_one()) is not None:
            self._ready.append(reply)
        self._wake()

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = exc or ConnectionLostError("the server closed the connection")
        self._wake()

    async def next(self) -> Reply:
        """The next reply; ConnectionLostError if the connection closes or it takes too long."""
        while not self._ready:
            if self.lost is not None:
                raise ConnectionLostError(str(self.lost))
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await asyncio.wait_for(self._waiter, self._timeout)
            except TimeoutError as error:
                raise ConnectionLostError("no reply in time") from error
            finally:
                self._waiter = None
        return self._ready.popleft()

    def _parse_one(self) -> Reply | None:
        """One complete (possibly multi-line) reply from the buffer, or None."""
        lines = []
        start = 0
        while (end := self._buffer.find(b"\n", start)) >= 0:
            line = bytes(self._buffer[start : end + 1])
            start = end + 1
            lines.append(line)
            if line[3:4] != b"-":
                del self._buffer[:start]
                text = "\n".join(part[4:].decode("utf-8", "replace").strip() for part in lines)
                try:
                    return Reply(int(lines[-1][:3]), text)
                except ValueError:
                    return Reply(0, f"unreadable reply: {text!r}")
        return None

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)


class SmtpConnection:
    """One open connection; `send` any number of times, then `close`."""

    def __init__(
        self, transport: asyncio.Transport, extensions: set[str], *, timeout: float
    ) -> None:
        self._transport = transport
        self._replies = _Replies(timeout)
        transport.set_protocol(self._replies)
        self._pipelining = "pipelining" in extensions
        self._smtputf8 = "smtputf8" in extensions
        self._eight_bit = "8bitmime" in extensions

    @classmethod
    async def open(cls, settings: NotifierSettings) -> SmtpConnection:
        """Connect, greet, secure and log in as configured; raises CONNECTION_ERRORS."""
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        client = aiosmtplib.SMTP(
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            use_tls=settings.smtp_tls is SmtpTls.TLS,
            # Explicit False: no opportunistic STARTTLS that could fail on a dev sink's cert.
            start_tls=settings.smtp_tls is SmtpTls.STARTTLS,
            username=settings.smtp_username,
            password=password,
            timeout=settings.smtp_timeout_s,
        )
        await client.connect()  # with STARTTLS or AUTH configured, EHLO is done by now
        if client.is_ehlo_or_helo_needed:
            try:
                await client.ehlo()
            except aiosmtplib.SMTPHeloError:
                await client.helo()  # a server from before ESMTP: no extensions
        transport = client.transport
        if not isinstance(transport, asyncio.Transport):
            client.close()
            raise ConnectionLostError("the connection closed while it was set up")
        extensions = set(client.esmtp_extensions)
        return cls(transport, extensions, timeout=settings.smtp_timeout_s)

    @property
    def is_open(self) -> bool:
        return self._replies.lost is None and not self._transport.is_closing()

    @property
    def pipelining(self) -> bool:
        return self._pipelining

    async def send(
        self, messages: Sequence[Outgoing], *, within_s: float | None = None
    ) -> list[Outcome]:
        """Send the messages in order; one outcome each. After a lost connection, the message
        in hand and every later one get a `connection_lost` outcome (the connection is closed).
        No message is begun once `within_s` have passed: those get NOT_TRIED."""
        outcomes: list[Outcome | None] = [None] * len(messages)
        loop = asyncio.get_running_loop()
        deadline = None if within_s is None else loop.time() + within_s

        def time_is_up() -> bool:
            return deadline is not None and loop.time() > deadline

        try:
            if self._pipelining:
                await self._send_pipelined(messages, outcomes, time_is_up)
            else:
                for index, message in enumerate(messages):
                    outcomes[index] = NOT_TRIED if time_is_up() else await self._send_one(message)
        except (ConnectionLostError, OSError) as error:
            self.abort()
            lost = Outcome(False, f"SMTP connection lost: {error}", connection_lost=True)
            outcomes = [lost if outcome is None else outcome for outcome in outcomes]
        # Every message has its outcome by now; were one missing, it counts as not delivered.
        return [outcome or _NO_REPLY for outcome in outcomes]

    async def close(self) -> None:
        """QUIT politely; the connection is closed either way."""
        if self.is_open:
            try:
                self._transport.write(b"QUIT\r\n")
                await self._replies.next()
            except (ConnectionLostError, OSError):
                pass
        self._transport.close()

    def abort(self) -> None:
        """Close at once, without QUIT: a message in mid-text is dropped by the server."""
        self._transport.abort()

    # --- the conversation -------------------------------------------------------------------

    def _envelope(self, message: Outgoing) -> bytes | Outcome:
        """MAIL, RCPT and DATA for `message`, or why it cannot be sent over this connection."""
        options = ""
        if message.smtputf8:
            if not self._smtputf8:
                reason = "the SMTP server cannot take a non-ASCII address (no SMTPUTF8)"
                return Outcome(False, reason, permanent=True)
            options = " SMTPUTF8" + (" BODY=8BITMIME" if self._eight_bit else "")
        return (
            f"MAIL FROM:<{message.sender}>{options}\r\nRCPT TO:<{message.recipient}>\r\nDATA\r\n"
        ).encode()

    async def _send_pipelined(
        self,
        messages: Sequence[Outgoing],
        outcomes: list[Outcome | None],
        time_is_up: Callable[[], bool],
    ) -> None:
        """Each message's text goes out in one write with the next message's MAIL, RCPT and
        DATA (RFC 2920: the text may lead a group, DATA must end it): one round trip each."""
        tail = _Tail()  # what follows the previous message's DATA reply
        for index, message in enumerate(messages):
            if time_is_up():
                outcomes[index:] = [NOT_TRIED] * (len(messages) - index)
                break
            envelope = self._envelope(message)
            if isinstance(envelope, Outcome):
                outcomes[index] = envelope
                continue
            self._transport.write(tail.data + envelope)
            await self._settle(tail, outcomes)
            refusal = await self._envelope_replies()
            data = await self._next()
            tail = _Tail.after(index, message, refusal, data, outcomes)
        if tail.data:
            self._transport.write(tail.data)
            await self._settle(tail, outcomes)

    async def _settle(self, tail: _Tail, outcomes: list[Outcome | None]) -> None:
        """Read the reply to what `tail` wrote: a text's outcome, or one to ignore."""
        if not tail.data:
            return
        reply = await self._next()
        if tail.kind is _TailKind.TEXT:
            outcomes[tail.index] = _final(reply)

    async def _send_one(self, message: Outgoing) -> Outcome:
        """Lock-step, for a server without PIPELINING: each command waits for its reply."""
        envelope = self._envelope(message)
        if isinstance(envelope, Outcome):
            return envelope
        mail, rcpt, data = envelope.split(b"\r\n")[:3]
        for command, expected in ((mail, _COMPLETED), (rcpt, _COMPLETED), (data, _START_INPUT)):
            self._transport.write(command + b"\r\n")
            reply = await self._next()
            if reply.code != expected:
                self._transport.write(b"RSET\r\n")
                await self._next()
                return _refused(reply, sender=command is mail)
        self._transport.write(message.payload + b".\r\n")
        return _final(await self._next())

    async def _envelope_replies(self) -> Outcome | None:
        """The replies to MAIL and RCPT: the refusal, if either refused."""
        mail = await self._next()
        rcpt = await self._next()
        if mail.code != _COMPLETED:
            return _refused(mail, sender=True)
        if rcpt.code != _COMPLETED:
            return _refused(rcpt)
        return None

    async def _next(self) -> Reply:
        return await self._replies.next()


class _TailKind(enum.Enum):
    NONE = "none"
    TEXT = "text"  # the message's text and "."; its reply is the message's outcome
    IGNORED = "ignored"  # RSET after a refusal, or a lone "." after an odd 354


@dataclass(frozen=True)
class _Tail:
    kind: _TailKind = _TailKind.NONE
    index: int = -1
    data: bytes = b""

    @classmethod
    def after(
        cls,
        index: int,
        message: Outgoing,
        refusal: Outcome | None,
        data: Reply,
        outcomes: list[Outcome | None],
    ) -> _Tail:
        """What to write once message `index` had these replies, and record a refusal."""
        if data.code != _START_INPUT:
            outcomes[index] = refusal or _refused(data)
            return cls(_TailKind.IGNORED, index, b"RSET\r\n")
        if refusal is not None:
            # A server that says 354 with no recipient: end the empty text, send nothing.
            outcomes[index] = refusal
            return cls(_TailKind.IGNORED, index, b".\r\n")
        return cls(_TailKind.TEXT, index, message.payload + b".\r\n")


def _refused(reply: Reply, *, sender: bool = False) -> Outcome:
    """A refusal before the text. Refusing our sender is about the server's configuration,
    not this message: retried (bounded by DELIVERY_MAX_ATTEMPTS) for operators to fix it."""
    return Outcome(False, f"{reply}", permanent=reply.code >= 500 and not sender)


def _final(reply: Reply) -> Outcome:
    """The reply to a message's final ".": 250 is the server taking responsibility for it."""
    if reply.code == _COMPLETED:
        return ACCEPTED
    return Outcome(False, f"{reply}", permanent=reply.code >= 500)
