"""The mailbox's SMTP side: a receiving-only SMTP server that hands every message to a callback,
fast enough to measure the notifier against, and able to inject faults at each step.

Written by hand on asyncio rather than on aiosmtpd (which the mailbox used before): aiosmtpd
reads a message one line at a time, about 0.8 ms of CPU per e-mail on the development machine,
and does not advertise PIPELINING. A sink that costs as much as the notifier hides the figure
the benchmark is after. This one looks for the end of the text with one `find` per read (about
0.05 ms per e-mail) and answers pipelined commands (RFC 2920) in one write. It implements what a
relay's receiving side needs for our mail: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT, with
PIPELINING, 8BITMIME and SMTPUTF8; no TLS, no AUTH (it listens on 127.0.0.1 only).

Faults (for the notifier's crash tests): armed through the mailbox's HTTP API, one at a time,
they fire at the n-th time a conversation reaches a step:

- `data`: the DATA command came (sender and recipients accepted), before the 354 reply;
- `end_of_data`: the final "." came, before the reply: the message is discarded, since the
  server only takes responsibility for a message by saying 250;
- `accepted`: the message is kept and the 250 is written.

and then either kill the client (`kill_client`: SIGKILL the process at the other end of the
connection, found from the socket; at `accepted` it is stopped before the 250 is written, so it
dies with the 250 unread) or drop the connection (`drop`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import signal
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import psutil  # type: ignore[import-untyped,unused-ignore]  # no types-psutil in the lock

logger = logging.getLogger("gatehouse_devstack.mailbox")

MAX_MESSAGE_BYTES = 10 * 1024 * 1024
MAX_COMMAND_BYTES = 2048
_END_OF_DATA = b"\r\n.\r\n"
_ADDRESS = re.compile(r"^(?:FROM|TO):\s*<([^>]*)>", re.IGNORECASE)
_MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(<[^>\r\n]*>)", re.IGNORECASE | re.MULTILINE)

# Receives (raw message, envelope sender, envelope recipients) and keeps it; runs in the loop.
Deliver = Callable[[bytes, str, list[str]], object]
# Tests' refusals: (step "rcpt" or "text", the recipient) -> a reply line instead of 250, or None.
Refuse = Callable[[str, str], bytes | None]


class Step(StrEnum):
    DATA = "data"
    END_OF_DATA = "end_of_data"
    ACCEPTED = "accepted"


class Action(StrEnum):
    KILL_CLIENT = "kill_client"
    DROP = "drop"


@dataclass(frozen=True)
class Fired:
    step: str
    action: str
    at: str  # ISO time, on the mailbox's clock (the same machine's as the messages' times)
    message_id: str | None  # the Message-ID header of the message in hand, if any
    client_pid: int | None


@dataclass
class Fault:
    step: Step
    action: Action
    skip: int = 0  # conversations reaching the step before the one the fault fires on
    fired: Fired | None = field(default=None)


class FaultPlan:
    """The armed fault, shared by the HTTP thread (arms, reads) and the SMTP loop (fires)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fault: Fault | None = None

    def arm(self, step: Step, action: Action, skip: int) -> None:
        with self._lock:
            self._fault = Fault(step, action, skip)

    def disarm(self) -> None:
        with self._lock:
            self._fault = None

    def state(self) -> dict[str, Any]:
        with self._lock:
            fault = self._fault
            if fault is None:
                return {"armed": None, "fired": None}
            armed = None if fault.fired else {"step": fault.step, "action": fault.action}
            fired = asdict(fault.fired) if fault.fired else None
            return {"armed": armed, "fired": fired}

    def take(self, step: Step) -> Action | None:
        """The action if the armed fault fires at this arrival at `step` (it fires once)."""
        with self._lock:
            fault = self._fault
            if fault is None or fault.fired or fault.step is not step:
                return None
            if fault.skip > 0:
                fault.skip -= 1
                return None
            return fault.action

    def record(self, step: Step, action: Action, message_id: str | None, pid: int | None) -> None:
        at = datetime.now(UTC).isoformat()
        with self._lock:
            if self._fault is not None:
                self._fault.fired = Fired(step, action, at, message_id, pid)


class SmtpSession(asyncio.Protocol):
    """One client connection: commands line by line, message text up to the lone "."."""

    def __init__(
        self, hostname: str, deliver: Deliver, faults: FaultPlan, refuse: Refuse | None = None
    ) -> None:
        self._hostname = hostname
        self._deliver = deliver
        self._faults = faults
        self._refuse = refuse or (lambda _step, _recipient: None)
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._greeted = False
        self._sender: str | None = None
        self._recipients: list[str] = []
        self._in_data = False
        self._scanned = 0  # how far the text has been searched for its end
        self._quitting = False
        self._replies: list[bytes] = []  # answers not yet written (pipelined commands)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)  # noqa: S101  (TCP always is)
        self._transport = transport
        transport.write(f"220 {self._hostname} ESMTP mailbox\r\n".encode())

    def connection_lost(self, _exc: Exception | None) -> None:
        self._transport = None
        self._buffer.clear()

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        # Pipelined commands are all answered in one write (RFC 2920).
        while (
            self._transport is not None and not self._transport.is_closing() and not self._quitting
        ):
            if self._in_data:
                if not self._take_message():
                    break
                continue
            end = self._buffer.find(b"\r\n")
            if end < 0:
                if len(self._buffer) > MAX_COMMAND_BYTES:
                    self._hang_up(b"500 5.5.2 Line too long")
                break
            line = bytes(self._buffer[:end])
            del self._buffer[: end + 2]
            self._replies.append(self._command(line))
        self._flush()
        if self._quitting and self._transport is not None:
            self._transport.close()

    # --- commands ---------------------------------------------------------------------------

    def _command(self, line: bytes) -> bytes:
        verb, _, argument = line.decode("utf-8", "replace").partition(" ")
        commands: dict[str, Callable[[str], bytes]] = {
            "EHLO": self._ehlo,
            "HELO": self._helo,
            "MAIL": self._mail,
            "RCPT": self._rcpt,
            "DATA": self._data,
            "RSET": self._rset,
            "NOOP": lambda _: b"250 2.0.0 OK",
            "VRFY": lambda _: b"252 2.1.5 Cannot verify, but will accept",
            "QUIT": self._quit,
        }
        command = commands.get(verb.upper())
        return b"502 5.5.2 Command not implemented" if command is None else command(argument)

    def _ehlo(self, _argument: str) -> bytes:
        self._greeted = True
        self._reset()
        extensions = ("PIPELINING", "8BITMIME", "SMTPUTF8", f"SIZE {MAX_MESSAGE_BYTES}")
        lines = [self._hostname, *extensions]
        last = len(lines) - 1
        return "\r\n".join(
            f"250{' ' if n == last else '-'}{item}" for n, item in enumerate(lines)
        ).encode()

    def _helo(self, _argument: str) -> bytes:
        self._greeted = True
        self._reset()
        return f"250 {self._hostname}".encode()

    def _rset(self, _argument: str) -> bytes:
        self._reset()
        return b"250 2.0.0 OK"

    def _quit(self, _argument: str) -> bytes:
        self._quitting = True  # after the replies before it
        return b"221 2.0.0 Bye"

    def _mail(self, argument: str) -> bytes:
        if not self._greeted:
            return b"503 5.5.1 Say EHLO first"
        if self._sender is not None:
            return b"503 5.5.1 Sender already given"
        match = _ADDRESS.match(argument)
        if match is None:
            return b"501 5.5.4 Syntax: MAIL FROM:<address>"
        self._sender = match.group(1)
        return b"250 2.1.0 OK"

    def _rcpt(self, argument: str) -> bytes:
        if self._sender is None:
            return b"503 5.5.1 MAIL first"
        match = _ADDRESS.match(argument)
        if match is None or not match.group(1):
            return b"501 5.5.4 Syntax: RCPT TO:<address>"
        if (refusal := self._refuse("rcpt", match.group(1))) is not None:
            return refusal
        self._recipients.append(match.group(1))
        return b"250 2.1.5 OK"

    def _data(self, _argument: str) -> bytes:
        if not self._recipients:
            return b"503 5.5.1 RCPT first"
        if (action := self._faults.take(Step.DATA)) is not None:
            self._fire(Step.DATA, action, message_id=None)
            return b""
        self._in_data = True
        self._scanned = 0
        return b"354 End data with <CR><LF>.<CR><LF>"

    # --- the message ------------------------------------------------------------------------

    def _take_message(self) -> bool:
        """Deliver the message if its end has arrived; False when more text is needed."""
        if self._buffer.startswith(b".\r\n"):
            end, text_end = 0, 0
        else:
            end = self._buffer.find(_END_OF_DATA, max(0, self._scanned - len(_END_OF_DATA)))
            if end < 0:
                self._scanned = len(self._buffer)
                if self._scanned > MAX_MESSAGE_BYTES:
                    self._hang_up(b"552 5.3.4 Message too big")
                return False
            text_end = end + 2  # the text keeps its last line end
            end += 2
        raw = _unstuff(bytes(self._buffer[:text_end]))
        del self._buffer[: end + 3]
        self._in_data = False
        sender, recipients = self._sender or "", self._recipients
        self._reset()
        message_id = _message_id(raw)
        if (action := self._faults.take(Step.END_OF_DATA)) is not None:
            self._fire(Step.END_OF_DATA, action, message_id)  # never said 250: not ours
            return True
        if (refusal := self._refuse("text", recipients[0])) is not None:
            self._replies.append(refusal)
            return True
        if (action := self._faults.take(Step.ACCEPTED)) is not None:
            pid = self._client_pid() if action is Action.KILL_CLIENT else None
            if pid is not None:
                _signal(pid, signal.SIGSTOP)  # it must not read the 250 before it dies
            self._deliver(raw, sender, recipients)
            self._replies.append(b"250 2.0.0 OK: queued")
            self._fire(Step.ACCEPTED, action, message_id, pid=pid)
            return True
        self._deliver(raw, sender, recipients)
        self._replies.append(b"250 2.0.0 OK: queued")
        return True

    def _reset(self) -> None:
        self._sender = None
        self._recipients = []

    # --- faults and the connection ----------------------------------------------------------

    def _fire(
        self, step: Step, action: Action, message_id: str | None, *, pid: int | None = None
    ) -> None:
        if action is Action.KILL_CLIENT and pid is None:
            pid = self._client_pid()
        self._flush()  # what was answered before the fault is written, then the fault
        if action is Action.KILL_CLIENT and pid is not None:
            _signal(pid, signal.SIGKILL)
        self._faults.record(step, action, message_id, pid)
        logger.warning("fault injected: %s at %s (client pid %s)", action, step, pid)
        if self._transport is not None:
            self._transport.abort()

    def _client_pid(self) -> int | None:
        """The process holding the other end of this connection (same machine)."""
        if self._transport is None:
            return None
        peer = self._transport.get_extra_info("peername")[:2]
        local = self._transport.get_extra_info("sockname")[:2]
        for connection in psutil.net_connections(kind="tcp"):
            if (
                connection.laddr
                and connection.raddr
                and tuple(connection.laddr)[:2] == tuple(peer)
                and tuple(connection.raddr)[:2] == tuple(local)
            ):
                pid: int | None = connection.pid
                return pid
        return None

    def _hang_up(self, reply: bytes) -> None:
        self._replies.append(reply)
        self._flush()
        if self._transport is not None:
            self._transport.close()

    def _flush(self) -> None:
        written = [reply + b"\r\n" for reply in self._replies if reply]
        self._replies.clear()
        if written and self._transport is not None and not self._transport.is_closing():
            self._transport.write(b"".join(written))


def _unstuff(text: bytes) -> bytes:
    """Undo the sender's dot-stuffing (RFC 5321 4.5.2): one leading "." off every line."""
    text = text.replace(b"\r\n..", b"\r\n.")
    return text[1:] if text.startswith(b"..") else text


def _message_id(raw: bytes) -> str | None:
    headers = raw.split(b"\r\n\r\n", 1)[0]
    match = _MESSAGE_ID.search(headers)
    return match.group(1).decode("ascii", "replace") if match else None


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


class SmtpSink:
    """The SMTP server on its own thread and event loop; `start()` returns once it listens."""

    def __init__(
        self,
        host: str,
        port: int,
        deliver: Deliver,
        *,
        hostname: str = "mailbox.localhost",
        refuse: Refuse | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.faults = FaultPlan()
        self._deliver = deliver
        self._hostname = hostname
        self._refuse = refuse
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="mailbox-smtp")
        self._server: asyncio.Server | None = None

    def start(self) -> None:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._listen(), self._loop)
        self._server = future.result(timeout=10)

    def stop(self) -> None:
        if self._server is not None:
            self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    async def _listen(self) -> asyncio.Server:
        return await self._loop.create_server(
            lambda: SmtpSession(self._hostname, self._deliver, self.faults, self._refuse),
            self.host,
            self.port,
            reuse_address=True,
        )
