"""`python -m gatehouse_notifier migrate|serve|messages …`."""

from __future__ import annotations

import argparse
import asyncio
import sys

from gatehouse_common.cli import CommandParser, run_command
from gatehouse_common.logs import configure_logging
from gatehouse_common.migrations import upgrade
from gatehouse_common.runner import serve
from gatehouse_common.tracing import configure_tracing
from gatehouse_notifier import admin
from gatehouse_notifier.app import create_app
from gatehouse_notifier.context import NotifierContext
from gatehouse_notifier.grpc_api import start_grpc_server
from gatehouse_notifier.settings import NotifierSettings


async def _serve(settings: NotifierSettings) -> None:
    context = await NotifierContext.open(settings)
    try:
        await serve(
            app=create_app(context),
            host=settings.http_host,
            port=settings.http_port,
            start_grpc=lambda: start_grpc_server(context),
            background=[
                context.bus.connect_forever,
                context.consumer().run,
                context.couriers,
                context.reminders().run,
                context.housekeeping().run,
            ],
        )
    finally:
        await context.close()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    return _parser().parse_args(argv)


def _parser() -> CommandParser:
    parser = CommandParser(
        prog="gatehouse-notifier",
        description="The notifier service (events to e-mails) and its operating commands.",
        epilog="Beside `make run`, run them as: make manage ARGS='notifier <command> …'",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    commands.add_parser("migrate", help="apply pending database migrations")
    commands.add_parser("serve", help="consume events, send e-mails, answer gRPC")
    admin.add_arguments(commands)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    run_command("gatehouse-notifier", lambda: _run(args))


def _run(args: argparse.Namespace) -> None:
    settings = NotifierSettings()
    configure_logging(service="notifier", level=settings.log_level)
    if args.command == "migrate":
        upgrade(settings.database_url, package="gatehouse_notifier")
    elif args.command == "serve":
        configure_tracing(settings, "notifier")
        asyncio.run(_serve(settings))
    else:
        sys.exit(asyncio.run(admin.run(settings, args)))


if __name__ == "__main__":
    main()
