"""A stand-in for a Gatehouse service that honours the stack's environment contract.

It lets the launcher be tested without the real services:

    python -m gatehouse_devstack.stub_service migrate   # records a migration in DATABASE_URL
    python -m gatehouse_devstack.stub_service serve     # /healthz, /readyz, /env on HTTP_PORT
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType

import psycopg

# The variables /env reports: the contract of `stack.service_environment`.
REPORTED_VARIABLES = (
    "GATEHOUSE_ENVIRONMENT",
    "DATABASE_URL",
    "NATS_URL",
    "EVENTS_STREAM",
    "EVENTS_SUBJECT_PREFIX",
    "HTTP_HOST",
    "HTTP_PORT",
    "GRPC_PORT",
    "LOG_LEVEL",
    "SERVICE_AUTH_SECRET",
    "SECRET_KEY",
    "PUBLIC_URL",
    "CAPTCHA_ENABLED",
    "THROTTLING_ENABLED",
    "DELIVERY_RETRY_MAX_S",
    "CONSUMER_ACK_WAIT_S",
    "OIDC_CLIENT_ID",
    "OIDC_CLIENT_SECRET",
    "IDENTITY_PUBLIC_URL",
    "IDENTITY_GRPC_TARGET",
    "REGISTRY_PUBLIC_URL",
    "REGISTRY_GRPC_TARGET",
    "NOTIFIER_GRPC_TARGET",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_TLS",
    "MAIL_FROM",
)


def migrate() -> None:
    with psycopg.connect(os.environ["DATABASE_URL"]) as connection:
        connection.execute(
            "CREATE TABLE IF NOT EXISTS stub_migrations (applied_at timestamptz DEFAULT now())"
        )
        connection.execute("INSERT INTO stub_migrations DEFAULT VALUES")


def database_is_reachable() -> bool:
    try:
        with psycopg.connect(os.environ["DATABASE_URL"], connect_timeout=2) as connection:
            connection.execute("SELECT 1")
    except psycopg.OperationalError:
        return False
    return True


class StubHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/healthz":
            self._send(HTTPStatus.OK, {"status": "ok"})
        elif self.path == "/readyz":
            ready = database_is_reachable()
            status = HTTPStatus.OK if ready else HTTPStatus.SERVICE_UNAVAILABLE
            self._send(status, {"database": ready})
        elif self.path == "/env":
            self._send(
                HTTPStatus.OK, {k: v for k, v in os.environ.items() if k in REPORTED_VARIABLES}
            )
        else:
            self._send(HTTPStatus.NOT_FOUND, {"error": "not found"})

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Readiness polling would fill the log."""

    def _send(self, status: HTTPStatus, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def serve() -> None:
    server = ThreadingHTTPServer(
        (os.environ["HTTP_HOST"], int(os.environ["HTTP_PORT"])), StubHandler
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stop = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    stop.wait()
    server.shutdown()


def main() -> None:
    commands = {"migrate": migrate, "serve": serve}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        sys.exit("usage: python -m gatehouse_devstack.stub_service migrate|serve")
    commands[sys.argv[1]]()


if __name__ == "__main__":
    main()
