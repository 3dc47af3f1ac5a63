"""One SMTP connection sending many messages: pipelined to a server that offers PIPELINING (the
devstack's sink), one command at a time to one that does not (aiosmtpd); each message's outcome
is what the server said about it, and nothing counts as sent without the server's 250."""

from __future__ import annotations

import asyncio
import email
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest

from gatehouse_devstack.smtp_sink import Action, SmtpSink, Step
from gatehouse_devstack.stack import free_ports
from gatehouse_notifier.mail import Letter, compose, needs_smtputf8
from gatehouse_notifier.settings import NotifierSettings
from gatehouse_notifier.smtp import Outgoing, SmtpConnection

SENDER = "no-reply@gatehouse.localhost"


def refusals(step: str, recipient: str) -> bytes | None:
    """The same local-part rules as the notifier suite's aiosmtpd sink (conftest.SmtpSink)."""
    local = recipient.split("@", maxsplit=1)[0]
    rules = {
        ("rcpt", "reject"): b"550 5.1.1 No such mailbox",
        ("rcpt", "tempfail"): b"451 4.3.0 Mailbox busy, try again later",
        ("text", "spam"): b"554 5.7.1 Rejected as spam",
    }
    return next(
        (reply for (at, prefix), reply in rules.items() if at == step and local.startswith(prefix)),
        None,
    )


@dataclass
class PipeliningSink:
    received: list[tuple[bytes, list[str]]] = field(default_factory=list)
    server: SmtpSink | None = None

    def start(self, port: int) -> None:
        def keep(raw: bytes, _sender: str, recipients: list[str]) -> None:
            self.received.append((raw, recipients))

        self.server = SmtpSink("127.0.0.1", port, keep, refuse=refusals)
        self.server.start()


@dataclass(frozen=True)
class Server:
    port: int
    pipelining: bool
    received: Callable[[], list[tuple[str, str]]]  # (recipient, Message-ID) in order
    sink: SmtpSink | None  # the pipelining one, which can inject faults


@pytest.fixture(scope="module")
def pipelining_sink() -> Iterator[PipeliningSink]:
    sink = PipeliningSink()
    [port] = free_ports(1)
    sink.start(port)
    yield sink
    assert sink.server is not None
    sink.server.stop()


@pytest.fixture(params=["pipelining", "lock-step"])
def server(request: pytest.FixtureRequest, pipelining_sink: PipeliningSink, smtp_sink) -> Server:
    if request.param == "pipelining":
        assert pipelining_sink.server is not None
        return Server(
            port=pipelining_sink.server.port,
            pipelining=True,
            received=lambda: [
                (recipients[0], str(_parse(raw)["Message-ID"]))
                for raw, recipients in pipelining_sink.received
            ],
            sink=pipelining_sink.server,
        )
    return Server(
        port=smtp_sink.port,
        pipelining=False,
        received=lambda: [
            (str(m["To"].addresses[0].addr_spec), str(m["Message-ID"])) for m in smtp_sink.received
        ],
        sink=None,
    )


def _parse(raw: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(raw, policy=default_policy)
    assert isinstance(parsed, EmailMessage)
    return parsed


def settings_for(port: int) -> NotifierSettings:
    return NotifierSettings(
        gatehouse_environment="test",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_tls="none",
        smtp_timeout_s=2.0,
    )


def outgoing(local: str, *, text: str = "Hej!\n.\n..en rad med punkt\n") -> Outgoing:
    recipient = f"{local}-{uuid.uuid4().hex[:8]}@example.test"
    letter = Letter(
        sender_name="",
        recipient_name="Åsa Öberg",
        recipient_email=recipient,
        subject="Prov",
        body_text=text,
        body_html=f"<p>{text}</p>",
        language="sv",
        message_id_header=f"<{uuid.uuid4()}@gatehouse.localhost>",
    )
    return Outgoing(
        sender=SENDER,
        recipient=recipient,
        payload=compose(letter, mail_from=f"Gatehouse <{SENDER}>"),
        smtputf8=needs_smtputf8(recipient),
    )


def message_id(message: Outgoing) -> str:
    return str(_parse(message.payload.replace(b"\r\n..", b"\r\n."))["Message-ID"])


@pytest.fixture
async def connection(server: Server) -> AsyncIterator[SmtpConnection]:
    opened = await SmtpConnection.open(settings_for(server.port))
    yield opened
    await opened.close()


async def test_many_messages_on_one_connection_each_with_its_own_outcome(
    server: Server, connection: SmtpConnection
) -> None:
    assert connection.pipelining is server.pipelining
    kinds = ["ok", "reject", "ok", "tempfail", "spam", "ok"] * 5
    messages = [outgoing(kind) for kind in kinds]

    outcomes = await connection.send(messages)

    assert [o.accepted for o in outcomes] == [kind == "ok" for kind in kinds]
    for kind, outcome in zip(kinds, outcomes, strict=True):
        assert outcome.connection_lost is False
        assert outcome.permanent is (kind in ("reject", "spam")), (kind, outcome)
    assert "550" in outcomes[1].reason
    assert "451" in outcomes[3].reason
    assert "554" in outcomes[4].reason
    sent = [
        (m.recipient, message_id(m))
        for m, kind in zip(messages, kinds, strict=True)
        if kind == "ok"
    ]
    received = [entry for entry in server.received() if entry in sent]
    assert received == sent  # each once, in order, with its own text
    assert connection.is_open
    assert (await connection.send([outgoing("ok")]))[0].accepted  # and it goes on


async def test_a_non_ascii_address_goes_to_a_server_that_offers_smtputf8(
    server: Server, connection: SmtpConnection
) -> None:
    message = outgoing("åsa")
    [outcome] = await connection.send([message])
    assert outcome.accepted
    assert message_id(message) in {received_id for _, received_id in server.received()}


@pytest.mark.parametrize("step", [Step.DATA, Step.END_OF_DATA])
async def test_a_connection_dropped_before_the_250_leaves_the_message_unsent(
    pipelining_sink: PipeliningSink, step: Step
) -> None:
    sink = pipelining_sink.server
    assert sink is not None
    connection = await SmtpConnection.open(settings_for(sink.port))
    messages = [outgoing("ok") for _ in range(10)]
    sink.faults.arm(step, Action.DROP, skip=4)
    try:
        outcomes = await connection.send(messages)
    finally:
        sink.faults.disarm()
    assert [o.accepted for o in outcomes] == [True] * 4 + [False] * 6
    assert all(o.connection_lost and not o.permanent for o in outcomes[4:])
    assert not connection.is_open
    delivered = {recipients[0] for _, recipients in pipelining_sink.received}
    assert {m.recipient for m in messages[:4]} <= delivered
    assert not {m.recipient for m in messages[4:]} & delivered


async def test_a_server_that_stops_answering_leaves_the_message_unsent() -> None:
    async def greet_then_fall_silent(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        writer.write(b"220 silent\r\n")
        await reader.readline()
        writer.write(b"250-silent\r\n250 PIPELINING\r\n")  # no SMTPUTF8
        await asyncio.sleep(30)

    server = await asyncio.start_server(greet_then_fall_silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        connection = await SmtpConnection.open(settings_for(port))
        non_ascii, unanswered = await connection.send([outgoing("åsa"), outgoing("ok")])
    finally:
        server.close()
    assert not non_ascii.accepted
    assert non_ascii.permanent
    assert "SMTPUTF8" in non_ascii.reason
    assert not unanswered.accepted
    assert unanswered.connection_lost
    assert "no reply in time" in unanswered.reason
