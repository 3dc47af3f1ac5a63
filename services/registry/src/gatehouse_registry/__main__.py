"""`python -m gatehouse_registry migrate|serve|load-reference-data|add-administrator`."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import uuid
from pathlib import Path

from gatehouse_common.db import create_pool
from gatehouse_common.logs import configure_logging
from gatehouse_common.migrations import apply_migrations
from gatehouse_common.outbox import OutboxRelay
from gatehouse_common.runner import serve
from gatehouse_common.tracing import configure_tracing
from gatehouse_registry.app import create_app
from gatehouse_registry.context import RegistryContext
from gatehouse_registry.grpc_api import start_grpc_server
from gatehouse_registry.reference_data.admin import (
    ReferenceData,
    add_administrator,
    load_reference_data,
)
from gatehouse_registry.settings import RegistrySettings
from gatehouse_registry.users.background import IdentityEventsConsumer, InactivityJob

MIGRATIONS = Path(__file__).parent / "migrations"
logger = logging.getLogger("gatehouse_registry")


async def _serve(settings: RegistrySettings) -> None:
    context = await RegistryContext.open(settings)
    relay = OutboxRelay(
        pool=context.pool, database_url=settings.database_url, bus=context.bus, service="registry"
    )
    inactivity = InactivityJob(
        pool=context.pool,
        interval_s=settings.inactivity_check_interval_s,
        inactive_after_months=settings.inactivity_months,
        warning_days=settings.inactivity_warning_days,
    )
    identity_events = IdentityEventsConsumer(
        pool=context.pool, bus=context.bus, durable_name=settings.identity_events_consumer
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
                inactivity.run,
                identity_events.run,
            ],
        )
    finally:
        await context.close()


async def _load_reference_data(settings: RegistrySettings, path: Path) -> None:
    text = await asyncio.to_thread(path.read_text, encoding="utf-8")
    data = ReferenceData.model_validate(json.loads(text))
    pool = await create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        counts = await load_reference_data(pool, data)
    finally:
        await pool.close()
    logger.info("reference data loaded", extra=counts)


async def _add_administrator(settings: RegistrySettings, arguments: argparse.Namespace) -> None:
    pool = await create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        role_id = await add_administrator(
            pool,
            organization_code=arguments.organization_code,
            user_id=uuid.UUID(arguments.user_id),
            full_name=arguments.full_name,
            email=arguments.email,
        )
    finally:
        await pool.close()
    logger.info("administrator added", extra={"role_request_id": str(role_id)})


def main() -> None:
    parser = argparse.ArgumentParser(prog="gatehouse-registry")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply pending database migrations")
    commands.add_parser("serve", help="run the HTTP and gRPC servers and the background jobs")
    load = commands.add_parser(
        "load-reference-data", help="add or update reference data from a JSON file"
    )
    load.add_argument("path", type=Path)
    admin = commands.add_parser(
        "add-administrator",
        help="make a user administrator of an organization (e.g. an authority's first)",
    )
    admin.add_argument("--organization-code", required=True, help="e.g. SE-SJV-IEK")
    admin.add_argument("--user-id", required=True, help="identity's user id")
    admin.add_argument("--full-name", required=True)
    admin.add_argument("--email", required=True)
    arguments = parser.parse_args()
    settings = RegistrySettings()
    configure_logging(service="registry", level=settings.log_level)
    if arguments.command == "migrate":
        apply_migrations(settings.database_url, MIGRATIONS)
    elif arguments.command == "load-reference-data":
        asyncio.run(_load_reference_data(settings, arguments.path))
    elif arguments.command == "add-administrator":
        asyncio.run(_add_administrator(settings, arguments))
    else:
        configure_tracing(settings, "registry")
        asyncio.run(_serve(settings))


if __name__ == "__main__":
    main()
