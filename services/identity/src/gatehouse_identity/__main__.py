"""`python -m gatehouse_identity migrate|serve`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from gatehouse_common.logs import configure_logging
from gatehouse_common.migrations import apply_migrations
from gatehouse_common.outbox import OutboxRelay
from gatehouse_common.runner import serve
from gatehouse_common.tracing import configure_tracing
from gatehouse_identity.app import create_app
from gatehouse_identity.context import IdentityContext
from gatehouse_identity.grpc_api import start_grpc_server
from gatehouse_identity.oidc import cli as oidc_cli
from gatehouse_identity.oidc.backchannel import backchannel_worker
from gatehouse_identity.settings import IdentitySettings

MIGRATIONS = Path(__file__).parent / "migrations"


async def _serve(settings: IdentitySettings) -> None:
    context = await IdentityContext.open(settings)
    relay = OutboxRelay(
        pool=context.pool, database_url=settings.database_url, bus=context.bus, service="identity"
    )
    try:
        await serve(
            app=create_app(context),
            host=settings.http_host,
            port=settings.http_port,
            start_grpc=lambda: start_grpc_server(context),
            background=[context.bus.connect_forever, relay.run, backchannel_worker(context).run],
        )
    finally:
        await context.close()


def main() -> None:
    if sys.argv[1:2] and sys.argv[1] in oidc_cli.COMMANDS:  # clients ..., keys ...
        sys.exit(oidc_cli.main(sys.argv[1:]))
    parser = argparse.ArgumentParser(prog="gatehouse-identity")
    parser.add_argument("command", choices=["migrate", "serve"])
    command = parser.parse_args().command
    settings = IdentitySettings()
    configure_logging(service="identity", level=settings.log_level)
    if command == "migrate":
        apply_migrations(settings.database_url, MIGRATIONS)
    else:
        configure_tracing(settings, "identity")
        asyncio.run(_serve(settings))


if __name__ == "__main__":
    main()
