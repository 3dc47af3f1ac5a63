"""SMTP sink for development and tests: every message received is kept and shown, none delivered.

    python -m gatehouse_devstack.mailbox --smtp-port 1025 --http-port 8025 --store var/dev/mail

Messages are kept in a spool file in the store directory (`mail_store`), so they survive a
restart of the mailbox. The SMTP side is `smtp_sink`. The web side offers:

    GET    /                        inbox, newest first
    GET    /messages/<id>           one message: text body with clickable links
    GET    /messages/<id>/html      the HTML body, sandboxed (no scripts)
    GET    /messages/<id>/raw       the raw message
    GET    /api/messages            JSON list of all messages, oldest first
    GET    /api/messages/<id>       JSON of one message
    DELETE /api/messages            empty the mailbox
    GET    /healthz                 200 when up

and, when started with `--faults` (the test stack does), the controls of the notifier's crash
tests (see `smtp_sink`):

    PUT    /api/fault               arm one fault: {"step": "data" | "end_of_data" | "accepted",
                                    "action": "kill_client" | "drop", "skip": n}
    GET    /api/fault               {"armed": ..., "fired": {step, action, at, message_id, ...}}
    DELETE /api/fault               disarm
"""

from __future__ import annotations

import argparse
import html
import json
import logging
import signal
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import cast

from gatehouse_devstack.mail import Message, link_spans
from gatehouse_devstack.mail_store import MailStore
from gatehouse_devstack.smtp_sink import Action, FaultPlan, SmtpSink, Step

logger = logging.getLogger("gatehouse_devstack.mailbox")


class MailboxHttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, store: MailStore, faults: FaultPlan | None = None) -> None:
        self.store = store
        self.faults = faults  # None: the fault API is off
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
            case ["api", "fault"]:
                if (faults := self._faults()) is not None:
                    self._send_json(faults.state())
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
        path = self.path.rstrip("/")
        if path == "/api/messages":
            self.store.clear()
        elif path != "/api/fault":
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8")
            return
        elif (faults := self._faults()) is None:
            return
        else:
            faults.disarm()
        self.send_response(HTTPStatus.NO_CONTENT)
        self.end_headers()

    def do_PUT(self) -> None:
        if self.path.rstrip("/") != "/api/fault":
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8")
            return
        if (faults := self._faults()) is None:
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
            request = json.loads(self.rfile.read(length))
            step, action = Step(request["step"]), Action(request["action"])
            faults.arm(step, action, skip=int(request.get("skip", 0)))
        except (ValueError, KeyError, TypeError) as error:
            reason = f"expected step, action and skip: {error}\n".encode()
            self._send(HTTPStatus.UNPROCESSABLE_ENTITY, reason, "text/plain; charset=utf-8")
            return
        self.send_response(HTTPStatus.NO_CONTENT)
        self.end_headers()

    def _faults(self) -> FaultPlan | None:
        """The fault plan; None after answering 404 when the mailbox runs without `--faults`."""
        faults = cast("MailboxHttpServer", self.server).faults
        if faults is None:
            self._send(HTTPStatus.NOT_FOUND, b"faults are off\n", "text/plain; charset=utf-8")
        return faults

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


def serve(smtp_port: int, http_port: int, store_dir: Path, *, faults: bool = False) -> None:
    """Run until SIGTERM or SIGINT."""
    store = MailStore(store_dir)
    smtp = SmtpSink("127.0.0.1", smtp_port, store.save)
    smtp.start()
    web = MailboxHttpServer(http_port, store, smtp.faults if faults else None)
    threading.Thread(target=web.serve_forever, name="mailbox-http", daemon=True).start()
    logger.info("mailbox: SMTP on 127.0.0.1:%d, web on http://127.0.0.1:%d", smtp_port, http_port)
    _wait_for_stop_signal()
    web.shutdown()
    smtp.stop()
    store.close()
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
    parser.add_argument(
        "--faults", action="store_true", help="accept faults to inject (PUT /api/fault)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    serve(args.smtp_port, args.http_port, args.store, faults=args.faults)


if __name__ == "__main__":
    main()
