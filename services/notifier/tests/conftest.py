"""The notifier against real servers: PostgreSQL, NATS JetStream, an SMTP server, identity's gRPC.

PostgreSQL and NATS: `DATABASE_URL` (a server URL; a fresh database with a random name is made
on it) and `NATS_URL` point at existing servers; without them embedded ones are started
(gatehouse_devstack). Each run uses its own stream, subject prefix and consumer name, and removes
them afterwards. SMTP is aiosmtpd in-process (it can be stopped and started again on the same
port); identity and the registry are a small real grpc.aio server implementing `UserService`,
`OperatorService` and `RoleService` over in-memory data.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import os
import secrets
import threading
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import grpc
import nats
import pytest
from aiosmtpd.controller import Controller
from google.protobuf.message import Message
from grpc import aio
from sqlalchemy import RowMapping, select, text

from gatehouse.identity.v1 import user_service_pb2 as pb
from gatehouse.identity.v1 import user_service_pb2_grpc as pb_grpc
from gatehouse.registry.v1 import operator_service_pb2 as op_pb
from gatehouse.registry.v1 import operator_service_pb2_grpc as op_grpc
from gatehouse.registry.v1 import role_service_pb2 as role_pb
from gatehouse.registry.v1 import role_service_pb2_grpc as role_grpc
from gatehouse_common.db import Database
from gatehouse_common.events import Event, event_for, nats_subject
from gatehouse_common.nats_bus import EventBus
from gatehouse_common.service_auth import ServiceAuthServerInterceptor
from gatehouse_devstack.pytest_plugin import MigratedDatabases, free_port
from gatehouse_notifier.context import NotifierContext
from gatehouse_notifier.directory import IdentityDirectory
from gatehouse_notifier.registry import GrpcRegistry
from gatehouse_notifier.rendering import Renderer
from gatehouse_notifier.settings import NotifierSettings
from gatehouse_notifier.tables import handled_events, messages

SECRET = "notifier-tests-service-auth-secret"
IDENTITY_URL = "https://identity.test"
REGISTRY_URL = "https://registry.test"
MAIL_WAIT_S = 10.0


async def wait_until(
    condition: Callable[[], Awaitable[Any]], *, within: float = MAIL_WAIT_S, what: str = ""
) -> Any:
    """Poll `condition` until it returns something truthy; that value."""
    deadline = time.monotonic() + within
    while True:
        value = await condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {within} s waiting for {what or condition}")
        await asyncio.sleep(0.05)


# ------------------------------------------------------------------------------ servers


@pytest.fixture(scope="session")
def alembic_package() -> str:
    return "gatehouse_notifier"


@pytest.fixture(scope="session")
def database_url(migrated_databases: MigratedDatabases) -> str:
    return migrated_databases.url("gatehouse_notifier")


@pytest.fixture(scope="session")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if external := os.environ.get("NATS_URL"):
        yield external
        return
    from gatehouse_devstack.nats import EmbeddedNats  # noqa: PLC0415

    server = EmbeddedNats(tmp_path_factory.mktemp("nats") / "store", free_port(), free_port())
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


# --------------------------------------------------------------------------------- SMTP


class SmtpSink:
    """An SMTP server that keeps what it receives. Recipients' local parts steer it:
        `reject…` is refused with 550 (permanent), `tempfail…` with 451 (try again later); a message
    to `spam…` is refused after its text with 554, to `busy…` with 452 (the first two times);
    the reply to a message to `hold…` waits until `release` is set (`holding` says it waits)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[EmailMessage] = []
        self.busy_refusals: Counter[str] = Counter()
        self.holding = threading.Event()
        self.release = threading.Event()
        self._controller: Controller | None = None

    async def handle_RCPT(  # noqa: N802  (aiosmtpd hook name)
        self, _server: Any, _session: Any, envelope: Any, address: str, _options: Any
    ) -> str:
        local = address.split("@", maxsplit=1)[0]
        if local.startswith("reject"):
            return "550 5.1.1 No such mailbox"
        if local.startswith("tempfail"):
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        local = envelope.rcpt_tos[0].split("@", maxsplit=1)[0]
        if local.startswith("spam"):
            return "554 5.7.1 Rejected as spam"
        if local.startswith("busy") and self.busy_refusals[local] < 2:
            self.busy_refusals[local] += 1
            return "452 4.3.1 Insufficient system storage"
        if local.startswith("hold"):
            self.holding.set()
            await asyncio.to_thread(self.release.wait, MAIL_WAIT_S)
        parsed = email.message_from_bytes(envelope.original_content, policy=default_policy)
        self.received.append(parsed)  # type: ignore[arg-type]
        return "250 OK: queued"

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.received if address in str(m["To"])]


@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


# ----------------------------------------------------------------------------- identity


class FakeIdentity(pb_grpc.UserServiceServicer):  # type: ignore[misc]
    """identity's UserService over in-memory users, recording what the notifier asked for."""

    def __init__(self) -> None:
        self.users: dict[str, pb.User] = {}
        self.links: list[tuple[str, int, str, str]] = []  # (user_id, purpose, event_id, url)
        self.get_calls: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()  # by method
        self.unavailable: Counter[str] = Counter()  # user id → calls still to refuse

    def add_user(
        self,
        *,
        language: str,
        email: str | None = None,
        first_name: str = "Anna",
        last_name: str = "Svensson",
    ) -> pb.User:
        user_id = f"usr-{secrets.token_hex(6)}"
        address = f"{user_id}@example.test" if email is None else email
        user = pb.User(
            user_id=user_id,
            email=address,
            first_name=first_name,
            last_name=last_name,
            email_language=language,
            status=pb.USER_STATUS_ACTIVE,
        )
        self.users[user_id] = user
        return user

    async def GetUser(  # noqa: N802  (gRPC method name)
        self, request: pb.GetUserRequest, context: aio.ServicerContext
    ) -> pb.GetUserResponse:
        self.get_calls[request.user_id] += 1
        self.calls["GetUser"] += 1
        if self.unavailable[request.user_id] > 0:
            self.unavailable[request.user_id] -= 1
            await context.abort(grpc.StatusCode.UNAVAILABLE, "identity is restarting")
        user = self.users.get(request.user_id)
        if user is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"no user {request.user_id!r}")
        return pb.GetUserResponse(user=user)

    async def BatchGetUsers(  # noqa: N802
        self, request: pb.BatchGetUsersRequest, context: aio.ServicerContext
    ) -> pb.BatchGetUsersResponse:
        self.calls["BatchGetUsers"] += 1
        for user_id in request.user_ids:
            self.get_calls[user_id] += 1
        if any(self.unavailable[user_id] > 0 for user_id in request.user_ids):
            for user_id in request.user_ids:
                self.unavailable[user_id] = max(0, self.unavailable[user_id] - 1)
            await context.abort(grpc.StatusCode.UNAVAILABLE, "identity is restarting")
        found = [self.users[u] for u in request.user_ids if u in self.users]
        missing = [u for u in request.user_ids if u not in self.users]
        return pb.BatchGetUsersResponse(users=found, missing_user_ids=missing)

    async def CreatePasswordLink(  # noqa: N802
        self, request: pb.CreatePasswordLinkRequest, context: aio.ServicerContext
    ) -> pb.CreatePasswordLinkResponse:
        self.calls["CreatePasswordLink"] += 1
        if request.user_id not in self.users:
            await context.abort(grpc.StatusCode.NOT_FOUND, "no such user")
        url, expires = self._issue(request)
        response = pb.CreatePasswordLinkResponse(url=url)
        response.expire_time.FromDatetime(expires)
        return response

    async def BatchCreatePasswordLinks(  # noqa: N802
        self, request: pb.BatchCreatePasswordLinksRequest, _context: aio.ServicerContext
    ) -> pb.BatchCreatePasswordLinksResponse:
        self.calls["BatchCreatePasswordLinks"] += 1
        links = []
        for wanted in request.requests:
            if wanted.user_id not in self.users:
                links.append(pb.CreatedPasswordLink(user_not_found=True))
                continue
            url, expires = self._issue(wanted)
            link = pb.CreatedPasswordLink(url=url)
            link.expire_time.FromDatetime(expires)
            links.append(link)
        return pb.BatchCreatePasswordLinksResponse(links=links)

    def _issue(self, request: pb.CreatePasswordLinkRequest) -> tuple[str, datetime]:
        kind = "set" if request.purpose == pb.PASSWORD_LINK_PURPOSE_SET else "reset"
        url = f"{IDENTITY_URL}/password/{kind}?token={secrets.token_urlsafe(24)}"
        self.links.append((request.user_id, request.purpose, request.event_id, url))
        return url, datetime.now(UTC) + timedelta(hours=24 if kind == "set" else 1)


# ----------------------------------------------------------------------------- registry


@dataclass
class FakeRegistry(op_grpc.OperatorServiceServicer, role_grpc.RoleServiceServicer):  # type: ignore[misc]
    """The registry's OperatorService and RoleService over in-memory data."""

    roles: dict[str, role_pb.RoleRequest] = field(default_factory=dict)
    deciders: dict[str, list[str]] = field(default_factory=dict)
    operators: dict[str, op_pb.Operator] = field(default_factory=dict)
    administrators: dict[str, list[str]] = field(default_factory=dict)
    validators: dict[str, list[str]] = field(default_factory=dict)
    reactivation: dict[str, list[str]] = field(default_factory=dict)

    def add_operator(
        self, name: str, *, administrators: Sequence[str] = (), validators: Sequence[str] = ()
    ) -> str:
        operator_id = str(uuid.uuid4())
        self.operators[operator_id] = op_pb.Operator(
            operator_id=operator_id,
            name=name,
            country_code="SE",
            status=op_pb.OPERATOR_STATUS_VALID,
            competent_authority_id="auth-1",
            competent_authority_name="Jordbruksverket",
        )
        self.administrators[operator_id] = list(administrators)
        self.validators[operator_id] = list(validators)
        return operator_id

    def add_role_request(
        self, *, user_id: str, operator_id: str, deciders: list[str], status: int = 1
    ) -> str:
        role_id = str(uuid.uuid4())
        self.roles[role_id] = role_pb.RoleRequest(
            role_request_id=role_id,
            user_id=user_id,
            organization_id=operator_id,
            organization_name=self.operators[operator_id].name,
            organization_kind=role_pb.ORGANIZATION_KIND_OPERATOR,
            kind=role_pb.ROLE_KIND_MEMBER,
            status=status,
        )
        self.deciders[role_id] = list(deciders)
        return role_id

    async def GetRoleRequest(self, request, context):  # noqa: N802
        if request.role_request_id not in self.roles:
            await context.abort(grpc.StatusCode.NOT_FOUND, "no such role request")
        return role_pb.GetRoleRequestResponse(role_request=self.roles[request.role_request_id])

    async def ListRoleRequestDeciders(self, request, context):  # noqa: N802
        if request.role_request_id not in self.roles:
            await context.abort(grpc.StatusCode.NOT_FOUND, "no such role request")
        users = self.deciders.get(request.role_request_id, [])
        return role_pb.ListRoleRequestDecidersResponse(user_ids=users)

    async def ListReactivationDeciders(self, request, _context):  # noqa: N802
        users = self.reactivation.get(request.user_id, [])
        return role_pb.ListReactivationDecidersResponse(user_ids=users)

    async def GetOperator(self, request, context):  # noqa: N802
        if request.operator_id not in self.operators:
            await context.abort(grpc.StatusCode.NOT_FOUND, "no such operator")
        return op_pb.GetOperatorResponse(operator=self.operators[request.operator_id])

    async def ListOperatorAdministrators(self, request, context):  # noqa: N802
        if request.operator_id not in self.operators:
            await context.abort(grpc.StatusCode.NOT_FOUND, "no such operator")
        users = self.administrators.get(request.operator_id, [])
        return op_pb.ListOperatorAdministratorsResponse(user_ids=users)

    async def ListOperatorValidators(self, request, context):  # noqa: N802
        if request.operator_id not in self.operators:
            await context.abort(grpc.StatusCode.NOT_FOUND, "no such operator")
        users = self.validators.get(request.operator_id, [])
        return op_pb.ListOperatorValidatorsResponse(user_ids=users)


@pytest.fixture(scope="session")
async def services() -> AsyncIterator[tuple[FakeIdentity, FakeRegistry, str]]:
    """identity's UserService and the registry's lookups on one gRPC server."""
    identity_servicer = FakeIdentity()
    registry_servicer = FakeRegistry()
    server = aio.server(interceptors=[ServiceAuthServerInterceptor(SECRET.encode())])
    pb_grpc.add_UserServiceServicer_to_server(identity_servicer, server)
    op_grpc.add_OperatorServiceServicer_to_server(registry_servicer, server)
    role_grpc.add_RoleServiceServicer_to_server(registry_servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    yield identity_servicer, registry_servicer, f"127.0.0.1:{port}"
    await server.stop(0)


# ----------------------------------------------------------------------------- notifier


@dataclass
class Harness:
    """A running notifier (consumer + courier tasks) and handles on everything around it."""

    settings: NotifierSettings
    context: NotifierContext
    identity: FakeIdentity
    registry: FakeRegistry
    sink: SmtpSink
    nc: nats.NATS
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def database(self) -> Database:
        return self.context.database

    async def sql(self, statement: str, **params: Any) -> int:
        """Run the test's own SQL, committed at once; how many rows it changed."""
        async with self.database.connection() as connection:
            result = await connection.execute(text(statement), params)
            return result.rowcount

    async def sql_rows(self, statement: str, **params: Any) -> list[RowMapping]:
        async with self.database.connection() as connection:
            return list((await connection.execute(text(statement), params)).mappings())

    @property
    def prefix(self) -> str:
        return self.settings.events_subject_prefix

    async def publish(self, event: Event, *, msg_id: str | None = None) -> Event:
        headers = event.headers()
        if msg_id is not None:
            headers["Nats-Msg-Id"] = msg_id
        js = self.nc.jetstream()
        await js.publish(
            nats_subject(self.prefix, event.type),
            event.data,
            stream=self.settings.events_stream,
            headers=headers,
        )
        return event

    async def emit(
        self, event_type: str, message: Message, *, time: datetime | None = None
    ) -> Event:
        source = event_type.split(".", maxsplit=1)[0]
        event = event_for(event_type=event_type, source=source, subject="s", message=message)
        if time is not None:
            event = replace(event, time=time)
        return await self.publish(event)

    async def publish_raw(self, subject: str, data: bytes, headers: dict[str, str]) -> None:
        js = self.nc.jetstream()
        await js.publish(subject, data, stream=self.settings.events_stream, headers=headers)

    async def mail_to(self, address: str, count: int = 1) -> list[EmailMessage]:
        async def arrived() -> list[EmailMessage] | None:
            found = self.sink.to(address)
            return found if len(found) >= count else None

        found: list[EmailMessage] = await wait_until(arrived, what=f"mail to {address}")
        return found

    async def rows(self, event_id: str) -> list[RowMapping]:
        async with self.database.connection() as connection:
            result = await connection.execute(
                select(messages)
                .where(messages.c.event_id == uuid.UUID(event_id))
                .order_by(messages.c.created_at)
            )
            return list(result.mappings())

    async def row_with_status(self, event_id: str, *statuses: str) -> RowMapping:
        async def reached() -> RowMapping | None:
            rows = await self.rows(event_id)
            return rows[0] if rows and rows[0]["status"] in statuses else None

        row: RowMapping = await wait_until(reached, what=f"message of {event_id} {statuses}")
        return row

    async def message_with_status(self, message_id: uuid.UUID, *statuses: str) -> RowMapping:
        async def reached() -> RowMapping | None:
            async with self.database.connection() as connection:
                result = await connection.execute(
                    select(messages).where(messages.c.id == message_id)
                )
                row = result.mappings().one_or_none()
            return row if row is not None and row["status"] in statuses else None

        row: RowMapping = await wait_until(reached, what=f"message {message_id} {statuses}")
        return row

    async def is_handled(self, event_id: str) -> bool:
        async with self.database.connection() as connection:
            value = await connection.scalar(
                select(handled_events.c.event_id).where(
                    handled_events.c.event_id == uuid.UUID(event_id)
                )
            )
        return value is not None

    def start_replica(self) -> None:
        """Another consumer and courier on the same durable consumer and table, as a replica."""
        self.tasks.append(asyncio.create_task(self.context.consumer().run()))
        self.tasks.append(asyncio.create_task(self.context.couriers()))


def notifier_settings(
    *, database_url: str, nats_url: str, smtp_port: int, identity_target: str
) -> NotifierSettings:
    run = secrets.token_hex(4)
    return NotifierSettings(
        gatehouse_environment="test",
        database_url=database_url,
        nats_url=nats_url,
        events_stream=f"NOTIFIER_TEST_{run.upper()}",
        events_subject_prefix=f"nt{run}",
        notifier_consumer=f"notifier_{run}",
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_tls="none",
        smtp_username=None,
        smtp_password=None,
        smtp_timeout_s=2.0,
        identity_grpc_target=identity_target,
        registry_grpc_target=identity_target,
        identity_public_url=IDENTITY_URL,
        registry_public_url=REGISTRY_URL,
        service_auth_secret=SECRET,
        delivery_retry_base_s=0.05,
        delivery_retry_max_s=0.2,
        delivery_max_attempts=12,
        consumer_max_handler_failures=3,
        consumer_pending_refresh_s=0.2,
        courier_poll_s=0.1,
    )


@pytest.fixture(scope="session")
async def notifier(
    database_url: str,
    nats_url: str,
    smtp_sink: SmtpSink,
    services: tuple[FakeIdentity, FakeRegistry, str],
) -> AsyncIterator[Harness]:
    servicer, registry, target = services
    settings = notifier_settings(
        database_url=database_url,
        nats_url=nats_url,
        smtp_port=smtp_sink.port,
        identity_target=target,
    )
    database = await Database.open(database_url, min_size=2, max_size=20)
    bus = EventBus(
        url=nats_url,
        stream=settings.events_stream,
        subject_prefix=settings.events_subject_prefix,
        name="notifier-tests",
    )
    context = NotifierContext(
        settings=settings,
        database=database,
        bus=bus,
        directory=IdentityDirectory(target=target, secret=settings.service_auth_key),
        registry=GrpcRegistry(target=target, secret=settings.service_auth_key),
        renderer=Renderer(timezone=settings.mail_timezone),
    )
    nc = await nats.connect(nats_url)
    harness = Harness(
        settings=settings,
        context=context,
        identity=servicer,
        registry=registry,
        sink=smtp_sink,
        nc=nc,
    )
    harness.tasks.append(asyncio.create_task(bus.connect_forever()))
    await asyncio.wait_for(bus.jetstream(), timeout=15)
    harness.start_replica()
    try:
        yield harness
    finally:
        for task in harness.tasks:
            task.cancel()
        # A task cancelled mid-query can leave its connection half-way (asyncpg then raises on
        # release): that is the end of the session, not a test failure.
        await asyncio.gather(*harness.tasks, return_exceptions=True)
        with contextlib.suppress(nats.errors.Error):
            await nc.jetstream().delete_stream(settings.events_stream)
        await nc.close()
        await context.close()
