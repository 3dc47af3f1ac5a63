"""`python -m gatehouse_registry migrate|serve|load-reference-data|add-administrator` (--help
on each)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

from gatehouse_common.cli import CommandParser, run_command
from gatehouse_common.db import Database
from gatehouse_common.logs import configure_logging
from gatehouse_common.migrations import upgrade
from gatehouse_common.outbox import OutboxRelay
from gatehouse_common.runner import serve
from gatehouse_common.tracing import configure_tracing
from gatehouse_registry.app import create_app
from gatehouse_registry.auth.identity_grpc import IdentityGrpc, IdentityUnavailableError
from gatehouse_registry.auth.revocations import RevocationList
from gatehouse_registry.context import RegistryContext
from gatehouse_registry.errors import RegistryError
from gatehouse_registry.examples import ExamplePerson, load_example_operators
from gatehouse_registry.grpc_api import start_grpc_server
from gatehouse_registry.reference_data.admin import (
    ReferenceData,
    load_reference_data,
)
from gatehouse_registry.roles.administration import add_administrator
from gatehouse_registry.settings import RegistrySettings
from gatehouse_registry.users.background import IdentityEventsConsumer, InactivityJob
from gatehouse_registry.users.deletion import DELETED
from gatehouse_registry.web_services.identity import IdentityMachineClients
from gatehouse_registry.web_services.sync import RevocationSyncJob

# How often revoked machine clients identity has not confirmed removing are sent again.
MACHINE_CLIENT_SYNC_INTERVAL_S = 10.0

logger = logging.getLogger("gatehouse_registry")


async def _serve(settings: RegistrySettings) -> None:
    context = await RegistryContext.open(settings)
    relay = OutboxRelay(
        database=context.resources.database,
        database_url=settings.database_url,
        bus=context.bus,
        service="registry",
    )
    inactivity = InactivityJob(
        database=context.database,
        interval_s=settings.inactivity_check_interval_s,
        inactive_after_months=settings.inactivity_months,
        warning_days=settings.inactivity_warning_days,
    )
    revocations = RevocationList(
        context.resources.database, keep_for_s=settings.access_token_max_lifetime_s
    )
    identity_events = IdentityEventsConsumer(
        database=context.database,
        bus=context.bus,
        durable_name=settings.identity_events_consumer,
        revocations=revocations,
    )
    deleted_users = IdentityEventsConsumer(
        database=context.database,
        bus=context.bus,
        durable_name=f"{settings.identity_events_consumer}-deleted-users",
        revocations=revocations,
        event_type=DELETED,
    )
    machine_client_sync = RevocationSyncJob(
        database=context.database,
        identity=IdentityMachineClients(_identity(settings)),
        interval_s=MACHINE_CLIENT_SYNC_INTERVAL_S,
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
                deleted_users.run,
                machine_client_sync.run,
            ],
        )
    finally:
        await context.close()


async def _load_reference_data(settings: RegistrySettings, path: Path) -> None:
    text = await asyncio.to_thread(path.read_text, encoding="utf-8")
    data = ReferenceData.model_validate(json.loads(text))
    database = await Database.open(settings.database_url, min_size=1, max_size=2)
    try:
        counts = await load_reference_data(database, data)
    finally:
        await database.close()
    logger.info("reference data loaded", extra=counts)


async def _add_administrator(settings: RegistrySettings, arguments: argparse.Namespace) -> None:
    """Look the person up in identity by e-mail address, then make them administrator."""
    identity = _identity(settings)
    try:
        user = await identity.get_user_by_email(arguments.email)
    except IdentityUnavailableError as error:
        raise CommandError(
            f"identity did not answer at {settings.identity_grpc_target} ({error}); is it running?"
        ) from error
    finally:
        await identity.close()
    if user is None:
        raise CommandError(
            f"identity has no account with the e-mail address {arguments.email}: "
            "the person signs up first (identity's Create an account page)"
        )
    database = await Database.open(settings.database_url, min_size=1, max_size=2)
    try:
        await add_administrator(
            database,
            organization_code=arguments.organization_code,
            user_id=user.user_id,
            full_name=user.full_name,
            email=user.email,
        )
    finally:
        await database.close()
    done = (
        f"{user.full_name} <{user.email}> is now an administrator of {arguments.organization_code}."
    )
    sys.stdout.write(done + "\n")


async def _person(identity: IdentityGrpc, email: str) -> ExamplePerson:
    user = await identity.get_user_by_email(email)
    if user is None:
        raise CommandError(f"identity has no account with the e-mail address {email}")
    return ExamplePerson(user_id=user.user_id, full_name=user.full_name, email=user.email)


async def _load_example_operators(
    settings: RegistrySettings, arguments: argparse.Namespace
) -> None:
    identity = _identity(settings)
    try:
        authority_user = await _person(identity, arguments.authority_email)
        administrator = await _person(identity, arguments.administrator_email)
        colleague = await _person(identity, arguments.colleague_email)
    except IdentityUnavailableError as error:
        raise CommandError(
            f"identity did not answer at {settings.identity_grpc_target} ({error}); is it running?"
        ) from error
    finally:
        await identity.close()
    database = await Database.open(settings.database_url, min_size=1, max_size=2)
    try:
        done = await load_example_operators(
            database,
            authority_user=authority_user,
            operator_administrator=administrator,
            colleague=colleague,
        )
    finally:
        await database.close()
    sys.stdout.write("".join(f"{line}\n" for line in done))


def _identity(settings: RegistrySettings) -> IdentityGrpc:
    return IdentityGrpc(
        target=settings.identity_grpc_target,
        secret=settings.service_auth_secret.get_secret_value().encode(),
        timeout_s=settings.identity_grpc_timeout_s,
        cache_s=0,
        tls=settings.grpc_tls,
    )


class CommandError(Exception):
    """A command that cannot be done as asked (said in one line, no traceback)."""


def _parser() -> CommandParser:
    parser = CommandParser(
        prog="gatehouse-registry",
        description="The registry service (the TRACES NT analogue) and its operating commands.",
        epilog="Beside `make run`, run them as: make manage ARGS='registry <command> …'",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    commands.add_parser("migrate", help="apply pending database migrations")
    commands.add_parser("serve", help="run the HTTP and gRPC servers and the background jobs")
    load = commands.add_parser(
        "load-reference-data", help="add or update reference data from a JSON file"
    )
    load.add_argument("path", type=Path, help="the JSON file (chapters, sections, authorities…)")
    admin = commands.add_parser(
        "add-administrator",
        help="make a person administrator of an organization (e.g. an authority's first)",
        description="Make the person with this identity account an approved administrator of "
        "the organization. They sign up in identity first; nobody else need approve.",
    )
    admin.add_argument(
        "--email", required=True, help="the e-mail address of the person's identity account"
    )
    admin.add_argument(
        "--organization-code",
        "--organization",
        required=True,
        help="the organization's code, e.g. SE-SJV-IEK (Jordbruksverket, import control)",
    )
    examples = commands.add_parser(
        "load-example-operators",
        help="example operators and requests for a demonstration (what `make demo` loads)",
        description="Two valid operators administered by one person, one operator waiting for "
        "the authority's validation and one colleague waiting for approval. The three people "
        "need identity accounts; the authority user must be an administrator of SE-SJV-IEK.",
    )
    for role, text in (
        ("authority", "an administrator of SE-SJV-IEK, who validates the operators"),
        ("administrator", "who creates the operators and becomes their administrator"),
        ("colleague", "who asks to join the first operator and creates a third"),
    ):
        examples.add_argument(f"--{role}-email", required=True, help=text)
    return parser


def main(argv: list[str] | None = None) -> None:
    arguments = _parser().parse_args(argv)
    run_command(
        "gatehouse-registry",
        lambda: _run(arguments),
        expected=(CommandError, RegistryError),
    )


def _run(arguments: argparse.Namespace) -> None:
    settings = RegistrySettings()
    configure_logging(service="registry", level=settings.log_level)
    if arguments.command == "migrate":
        upgrade(settings.database_url, package="gatehouse_registry")
    elif arguments.command == "load-reference-data":
        asyncio.run(_load_reference_data(settings, arguments.path))
    elif arguments.command == "add-administrator":
        asyncio.run(_add_administrator(settings, arguments))
    elif arguments.command == "load-example-operators":
        asyncio.run(_load_example_operators(settings, arguments))
    else:
        configure_tracing(settings, "registry")
        asyncio.run(_serve(settings))


if __name__ == "__main__":
    main()
