"""SMTP sink for development and tests: every message received is kept and shown, none delivered.

    python -m gatehouse_devstack.mailbox --smtp-port 1025 --http-port 8025 --store var/dev/mail

Messages are kept as files in the store directory (raw `.eml` plus parsed `.json`), so they
survive a restart of the mailbox. The web side offers:

    GET    /                        inbox, newest first
    GET    /messages/<id>           one message: text body with clickable links
    GET    /messages/<id>/html      the HTML body, sandboxed (no scripts)
    GET    /messages/<id>/raw       the raw message
    GET    /api/messages            JSON list of all messages, oldest first
    GET    /api/messages/<id>       JSON of one message
    DELETE /api/messages            empty the mailbox
    GET    /healthz                 200 when up
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import logging
import secrets
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any, cast

from aiosmtpd.controller import Controller

from gatehouse_devstack.mail import Message, link_spans, parse_message

logger = logging.getLogger("gatehouse_devstack.mailbox")


class MailStore:
    """Messages in memory for fast reads, and on disk so that they outlive the process."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._messages = {message.id: message for message in self._load()}

    def save(self, raw: bytes, envelope_from: str, envelope_recipients: list[str]) -> Message:
        received_at = datetime.now(UTC)
        # Sortable by arrival; the random suffix keeps ids unique within one microsecond.
        message_id = f"{received_at:%Y%m%d%H%M%S%f}-{secrets.token_hex(3)}"
        message = parse_message(
            raw,
            message_id=message_id,
            envelope_from=envelope_from,
            envelope_recipients=envelope_recipients,
            received_at=received_at,
        )
        with self._lock:
            (self.directory / f"{message_id}.eml").write_bytes(raw)
            _write_atomically(self.directory / f"{message_id}.json", json.dumps(message.to_json()))
            self._messages[message_id] = message
        return message

    def all(self) -> list[Message]:
        """Every message, oldest first."""
        with self._lock:
            return list(self._messages.values())

    def get(self, message_id: str) -> Message | None:
        with self._lock:
            return self._messages.get(message_id)

    def raw(self, message_id: str) -> bytes | None:
        if self.get(message_id) is None:  # also keeps arbitrary paths out of the file name
            return None
        return (self.directory / f"{message_id}.eml").read_bytes()

    def clear(self) -> None:
        with self._lock:
            for path in [*self.directory.glob("*.json"), *self.directory.glob("*.eml")]:
                path.unlink(missing_ok=True)
            self._messages.clear()

    def _load(self) -> list[Message]:
        paths = sorted(self.directory.glob("*.json"))
        return [Message.from_json(json.loads(path.read_text())) for path in paths]


def _write_atomically(path: Path, text: str) -> None:
    # Readers after a crash never see half a message: the rename is atomic.
    partial = path.with_suffix(".partial")
    partial.write_text(text)
    partial.replace(path)


class StoringHandler:
    """aiosmtpd handler: accept every message and keep it in the store."""

    def __init__(self, store: MailStore) -> None:
        self.store = store

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        message = await asyncio.to_thread(
            self.store.save,
            bytes(envelope.original_content),
            str(envelope.mail_from),
            [str(recipient) for recipient in envelope.rcpt_tos],
        )
        recipients = ", ".join(message.envelope_recipients)
        logger.info("received %s to %s: %s", message.id, recipients, message.subject)
        return "250 Message accepted for delivery"


class MailboxHttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, store: MailStore) -> None:
        self.store = store
        super().__init__(("127.0.0.1", port), MailboxRequestHandler)


class MailboxRequestHandler(BaseHTTPRequestHandler):
    server_version = "GatehouseMailbox/1"

    @property
    def store(self) -> MailStore:
        return cast("MailboxHttpServer", self.server).store

    def do_GET(self) -> None:
        parts = [part for part in self.path.split("?")[0].split("/") if part]
        match parts:
            case []:
                self._send_html(render_inbox(self.store.all()))
            case ["healthz"]:
                self._send(HTTPStatus.OK, b"ok\n", "text/plain; charset=utf-8")
            case ["api", "messages"]:
                self._send_json([message.to_json() for message in self.store.all()])
            case ["api", "messages", message_id]:
                self._with_message(message_id, lambda m: self._send_json(m.to_json()))
            case ["messages", message_id]:
                self._with_message(message_id, lambda m: self._send_html(render_message(m)))
            case ["messages", message_id, "html"]:
                self._with_message(message_id, self._send_sandboxed_html)
            case ["messages", message_id, "raw"]:
                self._with_message(message_id, self._send_raw)
            case _:
                self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8")

    def do_DELETE(self) -> None:
        if self.path.rstrip("/") != "/api/messages":
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8")
            return
        self.store.clear()
        self.send_response(HTTPStatus.NO_CONTENT)
        self.end_headers()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Tests poll the API several times a second; request lines would drown the log."""

    def _with_message(self, message_id: str, respond: Callable[[Message], None]) -> None:
        message = self.store.get(message_id)
        if message is None:
            self._send(HTTPStatus.NOT_FOUND, b"no such message\n", "text/plain; charset=utf-8")
        else:
            respond(message)

    def _send_sandboxed_html(self, message: Message) -> None:
        # Mail HTML is untrusted: the sandbox keeps its scripts and forms from running here.
        body = (message.html or "").encode()
        headers = {"Content-Security-Policy": "sandbox"}
        self._send(HTTPStatus.OK, body, "text/html; charset=utf-8", headers)

    def _send_raw(self, message: Message) -> None:
        self._send(HTTPStatus.OK, self.store.raw(message.id) or b"", "text/plain; charset=utf-8")

    def _send_html(self, page: str) -> None:
        self._send(HTTPStatus.OK, page.encode(), "text/html; charset=utf-8")

    def _send_json(self, data: object) -> None:
        self._send(HTTPStatus.OK, json.dumps(data).encode(), "application/json")

    def _send(
        self,
        status: HTTPStatus,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


PAGE_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1b1b1b; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #ddd; }
pre { white-space: pre-wrap; background: #f6f6f6; padding: 1rem; }
dt { font-weight: bold; } dd { margin: 0 0 .5rem 0; }
"""


def render_page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{PAGE_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )


def render_inbox(messages: list[Message]) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(', '.join(message.envelope_recipients))}</td>"
        f'<td><a href="/messages/{html.escape(message.id)}">'
        f"{html.escape(message.subject or '(no subject)')}</a></td>"
        f"<td>{message.received_at:%Y-%m-%d %H:%M:%S} UTC</td></tr>"
        for message in reversed(messages)
    )
    table = (
        "<table><thead><tr><th>To</th><th>Subject</th><th>Received</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
        if messages
        else "<p>No messages yet.</p>"
    )
    return render_page("Mailbox", f"<h1>Mailbox ({len(messages)})</h1>{table}")


def render_message(message: Message) -> str:
    fields = [
        ("From", message.from_header),
        ("To", ", ".join(message.envelope_recipients)),
        ("Subject", message.subject),
        ("Received", f"{message.received_at:%Y-%m-%d %H:%M:%S} UTC"),
    ]
    details = "".join(
        f"<dt>{html.escape(name)}</dt><dd>{html.escape(value)}</dd>" for name, value in fields
    )
    other_views = f'<a href="/messages/{html.escape(message.id)}/raw">raw message</a>'
    if message.html is not None:
        other_views += f' · <a href="/messages/{html.escape(message.id)}/html">HTML version</a>'
    body = (
        f'<p><a href="/">← inbox</a></p><h1>{html.escape(message.subject)}</h1>'
        f"<dl>{details}</dl><p>{other_views}</p>"
        f"<pre>{linkify(message.text or '(no text part)')}</pre>"
    )
    return render_page(message.subject, body)


def linkify(text: str) -> str:
    """HTML-escape `text` and make its http(s) URLs clickable."""
    pieces: list[str] = []
    position = 0
    for start, end in link_spans(text):
        url = html.escape(text[start:end])
        pieces += [html.escape(text[position:start]), f'<a href="{url}">{url}</a>']
        position = end
    pieces.append(html.escape(text[position:]))
    return "".join(pieces)


def serve(smtp_port: int, http_port: int, store_dir: Path) -> None:
    """Run until SIGTERM or SIGINT."""
    store = MailStore(store_dir)
    smtp = Controller(
        StoringHandler(store), hostname="127.0.0.1", port=smtp_port, enable_SMTPUTF8=True
    )
    smtp.start()
    web = MailboxHttpServer(http_port, store)
    threading.Thread(target=web.serve_forever, name="mailbox-http", daemon=True).start()
    logger.info("mailbox: SMTP on 127.0.0.1:%d, web on http://127.0.0.1:%d", smtp_port, http_port)
    _wait_for_stop_signal()
    web.shutdown()
    smtp.stop()
    logger.info("mailbox stopped")


def _wait_for_stop_signal() -> None:
    stop = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    stop.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gatehouse_devstack.mailbox")
    parser.add_argument("--smtp-port", type=int, default=1025)
    parser.add_argument("--http-port", type=int, default=8025)
    parser.add_argument("--store", type=Path, required=True, help="directory the messages go to")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    serve(args.smtp_port, args.http_port, args.store)


if __name__ == "__main__":
    main()
