"""The SMTP sink's own capacity, measured in the same run as the pipeline that sends to it.

So the events_pipeline line says whether the notifier or the sink is the limit. The sink (the
devstack mailbox) runs alone on the measured core; this process sends it e-mails of the size the
notifier sends, over a few connections at once, each pipelining as RFC 2920 allows (MAIL, RCPT
and DATA together; the text, its "." and the next message's commands together), which is the
most any client can ask of it.
"""

from __future__ import annotations

import asyncio
import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from gatehouse_devstack.bench.harness import Bench, CpuMeter

CONNECTIONS = 8
REPLY_TIMEOUT_S = 30.0


def sample_email() -> bytes:
    """An e-mail shaped like the notifier's: multipart text + HTML, Swedish, ~4 kB."""
    message = EmailMessage()
    message["From"] = "Autentiseringstjänst <no-reply@gatehouse.localhost>"
    message["To"] = "Åsa Öberg <bench-sink@example.se>"
    message["Subject"] = "Återställ ditt lösenord"
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain="gatehouse.localhost")
    paragraph = "Vi har fått en begäran om att återställa lösenordet för ditt konto. " * 12
    message.set_content(f"Hej Åsa!\n\n{paragraph}\n")
    message.add_alternative(f"<html lang='sv'><body><p>{paragraph}</p></body></html>", "html")
    text = message.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return text.replace(b"\r\n.", b"\r\n..")


async def _one_connection(port: int, count: int, payload: bytes) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)

    async def replies(expected: int) -> None:
        for _ in range(expected):
            line = await asyncio.wait_for(reader.readline(), REPLY_TIMEOUT_S)
            while line[3:4] == b"-":  # a multi-line reply
                line = await asyncio.wait_for(reader.readline(), REPLY_TIMEOUT_S)
            if line[:1] not in (b"2", b"3"):
                raise RuntimeError(f"the sink refused: {line!r}")

    try:
        await replies(1)  # greeting
        writer.write(b"EHLO bench.localhost\r\n")
        await replies(1)
        envelope = b"MAIL FROM:<no-reply@gatehouse.localhost>\r\nRCPT TO:<sink@example.se>\r\n"
        envelope += b"DATA\r\n"
        writer.write(envelope)
        for number in range(count):
            await replies(3)  # MAIL, RCPT, DATA (354)
            following = envelope if number < count - 1 else b"QUIT\r\n"
            writer.write(payload + b".\r\n" + following)
            await replies(1)  # the message's 250
        await replies(1)  # QUIT
    finally:
        writer.close()


async def _send(port: int, count: int) -> float:
    payload = sample_email()
    started = time.perf_counter()
    share, rest = divmod(count, CONNECTIONS)
    await asyncio.gather(
        *(
            _one_connection(port, share + (1 if n < rest else 0), payload)
            for n in range(CONNECTIONS)
        )
    )
    return time.perf_counter() - started


def sink_capacity(bench: Bench, count: int) -> dict[str, float]:
    """E-mails per second the sink takes, alone on the measured core; and its CPU per e-mail."""
    mailbox = bench.stack.mailbox
    if mailbox is None:
        raise RuntimeError("SMTP_HOST is set: the sink is not ours to measure")
    bench.place("mailbox")
    meter = CpuMeter(bench.stack)
    meter.start()
    elapsed = asyncio.run(_send(mailbox.smtp_port, count))
    meter.stop()
    return {
        "per_s": count / elapsed,
        "messages": count,
        "connections": CONNECTIONS,
        "sink_cpu_ms_per_email": meter.per_operation_ms(count).get("mailbox", float("nan")),
        "load_generator_cpu_ms_per_email": meter.per_operation_ms(count).get(
            "load generator", float("nan")
        ),
    }
