"""`python -m gatehouse_identity migrate|serve|clients …|keys …` (--help on each)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from gatehouse_common.cli import CommandParser, run_command
from gatehouse_common.grpc_workers import GrpcWorkers, serve_as_worker
from gatehouse_common.logs import configure_logging
from gatehouse_common.migrations import upgrade
from gatehouse_common.outbox import OutboxRelay
from gatehouse_common.runner import serve
from gatehouse_common.tracing import configure_tracing
from gatehouse_identity.accounts import cli as accounts_cli
from gatehouse_identity.app import create_app
from gatehouse_identity.context import IdentityContext
from gatehouse_identity.grpc_api import start_grpc_server
from gatehouse_identity.oidc import cli as oidc_cli
from gatehouse_identity.oidc.backchannel import backchannel_worker
from gatehouse_identity.oidc.clients import ClientError
from gatehouse_identity.settings import IdentitySettings

WORKER_COMMAND = "grpc-worker"


async def _serve(settings: IdentitySettings) -> None:
    # Extra gRPC processes first: HTTP (and so /readyz) only once all of them serve.
    workers = GrpcWorkers(
        [sys.executable, "-m", "gatehouse_identity", WORKER_COMMAND], settings.grpc_workers - 1
    )
    await workers.start()
    try:
        await _serve_main(settings, workers)
    finally:
        await workers.stop()


async def _serve_main(settings: IdentitySettings, workers: GrpcWorkers) -> None:
    context = await IdentityContext.open(settings)
    relay = OutboxRelay(
        database=context.resources.database,
        database_url=settings.database_url,
        bus=context.bus,
        service="identity",
    )
    try:
        await serve(
            app=create_app(context),
            host=settings.http_host,
            port=settings.http_port,
            start_grpc=lambda: start_grpc_server(context),
            background=[
                context.bus.connect_forever,
                relay.run,
                backchannel_worker(context).run,
                workers.supervise,
            ],
        )
    finally:
        await context.close()


async def _serve_grpc_worker(settings: IdentitySettings) -> None:
    """One of the GRPC_WORKERS - 1 extra gRPC processes (gatehouse_common.grpc_workers): the
    same gRPC services on the same port, no HTTP, no background jobs (the main process relays
    the outbox these services write to)."""
    context = await IdentityContext.open(settings)
    try:
        await serve_as_worker(lambda: start_grpc_server(context))
    finally:
        await context.close()


def _parser() -> CommandParser:
    parser = CommandParser(
        prog="gatehouse-identity",
        description="The identity service (the EU Login analogue) and its operating commands.",
        epilog="Beside `make run`, run them as: make manage ARGS='identity <command> …'",
    )
    groups = parser.add_subparsers(dest="group", required=True, metavar="command")
    groups.add_parser("migrate", help="apply pending database migrations")
    groups.add_parser("serve", help="run the HTTP and gRPC servers and the outbox relay")
    groups.add_parser(
        WORKER_COMMAND, help="one more gRPC server process (serve starts GRPC_WORKERS - 1 of them)"
    )
    oidc_cli.add_commands(groups)
    accounts_cli.add_commands(groups)
    return parser


def main(argv: list[str] | None = None) -> None:
    arguments = _parser().parse_args(argv)
    run_command("gatehouse-identity", lambda: _run(arguments), expected=(ClientError,))


def _run(arguments: argparse.Namespace) -> None:
    settings = IdentitySettings()
    if arguments.group in oidc_cli.COMMANDS or arguments.group in accounts_cli.COMMANDS:
        cli = oidc_cli if arguments.group in oidc_cli.COMMANDS else accounts_cli
        status = cli.run(arguments, settings)
        if status:
            sys.exit(status)
        return
    configure_logging(service="identity", level=settings.log_level)
    if arguments.group == "migrate":
        upgrade(settings.database_url, package="gatehouse_identity")
        return
    configure_tracing(settings, "identity")
    serving = _serve_grpc_worker if arguments.group == WORKER_COMMAND else _serve
    asyncio.run(serving(settings))


if __name__ == "__main__":
    main()
