"""Events through real NATS JetStream: identity's devices_reset suspends the user's roles (the
registry's own durable consumer), and the registry's decisions leave through the outbox relay."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import nats
import pytest
from sqlalchemy import delete, select

from gatehouse.events.v1 import identity_events_pb2 as identity_events
from gatehouse.events.v1 import registry_events_pb2 as registry_events
from gatehouse_common.db import Database
from gatehouse_common.events import event_for, event_from_nats, nats_subject
from gatehouse_common.nats_bus import EventBus, ensure_stream
from gatehouse_common.outbox import OutboxRelay, add_event, outbox_events
from gatehouse_devstack.pytest_plugin import free_port
from gatehouse_registry.auth.revocations import RevocationList
from gatehouse_registry.reference_data.admin import (
    AuthorityIn,
    ReferenceData,
    load_reference_data,
)
from gatehouse_registry.roles.administration import add_administrator
from gatehouse_registry.users.background import IdentityEventsConsumer


@pytest.fixture(scope="session")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = os.environ.get("NATS_URL")
    if external:
        yield external
        return
    from gatehouse_devstack.nats import EmbeddedNats  # noqa: PLC0415

    server = EmbeddedNats(tmp_path_factory.mktemp("registry-nats"), free_port(), free_port())
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
async def bus(nats_url: str) -> AsyncIterator[EventBus]:
    # A stream and subject prefix of its own, so runs on a shared NATS never meet.
    suffix = uuid.uuid4().hex[:8]
    event_bus = EventBus(
        url=nats_url, stream=f"REGISTRY_TEST_{suffix}", subject_prefix=f"t{suffix}", name="test"
    )
    connecting = asyncio.create_task(event_bus.connect_forever())
    await asyncio.wait_for(connecting, timeout=20)
    yield event_bus
    js = await event_bus.jetstream()
    await js.delete_stream(event_bus.stream)
    # close() rather than the bus's drain(): draining waits out the cancelled consumer's pull.
    if event_bus._client is not None:
        await event_bus._client.close()


async def _approved_authority_user(pool: asyncpg.Pool) -> tuple[uuid.UUID, uuid.UUID]:
    """A committed user with an approved role, in an authority of its own (invisible to the
    other tests, which roll their data back)."""
    code = f"SE-TEST-{uuid.uuid4().hex[:8]}"
    await load_reference_data(
        pool,
        ReferenceData(
            authorities=[
                AuthorityIn(
                    code=code, name="Testmyndigheten", country_code="SE", authority_kind="central"
                )
            ]
        ),
    )
    user_id = uuid.uuid4()
    role_id = await add_administrator(
        pool,
        organization_code=code,
        user_id=user_id,
        full_name="Tea Testare",
        email=f"tea.{user_id.hex[:8]}@example.se",
    )
    return user_id, role_id


async def _wait_for(condition: Any, seconds: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.1)


async def test_devices_reset_from_identity_suspends_and_the_suspension_is_published(
    pool: asyncpg.Pool, database: Database, bus: EventBus
) -> None:
    user_id, role_id = await _approved_authority_user(pool)
    js = await bus.jetstream()
    await ensure_stream(js, bus.stream, bus.subject_prefix)
    received: asyncio.Queue[Any] = asyncio.Queue()
    listener = await nats.connect(bus.url)
    await listener.subscribe(
        nats_subject(bus.subject_prefix, "registry.user.suspended"), cb=received.put
    )

    consumer = IdentityEventsConsumer(
        database=pool,
        bus=bus,
        durable_name=f"registry-{user_id.hex}",
        revocations=RevocationList(database, keep_for_s=3600),
    )
    relay = OutboxRelay(
        database=database,
        database_url="postgresql://unused",
        bus=bus,
        service="registry",
        idle_poll_s=0.2,
    )
    tasks = [asyncio.create_task(consumer.run()), asyncio.create_task(relay.run())]
    try:
        event = event_for(
            event_type="identity.user.devices_reset",
            source="gatehouse/identity",
            subject=str(user_id),
            message=identity_events.UserDevicesReset(user_id=str(user_id), removed_count=2),
        )
        for _ in range(2):  # a redelivery (or a second publish) must not act twice
            await js.publish(
                nats_subject(bus.subject_prefix, event.type),
                event.data,
                stream=bus.stream,
                headers={**event.headers(), "Nats-Msg-Id": uuid.uuid4().hex},
            )

        async def suspended() -> bool:
            return bool(
                await pool.fetchval(
                    "SELECT suspended_at IS NOT NULL FROM roles WHERE id = $1", role_id
                )
            )

        await _wait_for(suspended)
        # The user's identity access tokens issued until the reset are refused from now on, by
        # every replica (a list of its own reads what the consumer recorded).
        replica = RevocationList(database, keep_for_s=3600)
        reset_at = event.time.timestamp()
        assert await replica.refuses(sid="any", user_id=user_id, issued_at=reset_at - 60)
        assert not await replica.refuses(sid="any", user_id=user_id, issued_at=reset_at + 1)
        assert not await replica.refuses(sid="any", user_id=uuid.uuid4(), issued_at=reset_at)
        message = await asyncio.wait_for(received.get(), timeout=15)
        published = event_from_nats(message.headers, message.data)
        payload = published.message()
        assert isinstance(payload, registry_events.UserSuspended)
        assert list(payload.role_request_ids) == [str(role_id)]
        assert payload.cause_event_id == event.id
        await asyncio.sleep(0.5)
        count = await pool.fetchval(
            "SELECT count(*) FROM outbox_events WHERE event_type = 'registry.user.suspended' "
            "AND subject = $1",
            str(user_id),
        )
        assert count == 1
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await listener.close()


async def test_the_relay_publishes_a_personal_event_whole_and_keeps_no_copy(
    database: Database, bus: EventBus
) -> None:
    """An event in ERASED_AFTER_PUBLISHING (the farewell e-mail's address) leaves whole and its
    outbox row keeps no payload; any other event keeps its payload (the relay is shared: the
    registry's outbox stands in for identity's)."""
    js = await bus.jetstream()
    await ensure_stream(js, bus.stream, bus.subject_prefix)
    received: asyncio.Queue[Any] = asyncio.Queue()
    listener = await nats.connect(bus.url)
    farewell_type = "identity.user.farewell_requested"
    await listener.subscribe(nats_subject(bus.subject_prefix, farewell_type), cb=received.put)
    user_id = str(uuid.uuid4())
    address = f"leaving-{user_id[:8]}@example.se"
    async with database.transaction() as connection:
        farewell = await add_event(
            connection,
            event_type=farewell_type,
            source="gatehouse/identity",
            subject=user_id,
            message=identity_events.UserFarewellRequested(
                user_id=user_id, email=address, email_language="sv"
            ),
        )
        kept = await add_event(
            connection,
            event_type="identity.user.deleted",
            source="gatehouse/identity",
            subject=user_id,
            message=identity_events.UserDeleted(user_id=user_id, pseudonym="deleted-user-x"),
        )
    relay = OutboxRelay(
        database=database, database_url="postgresql://unused", bus=bus, service="registry"
    )
    try:
        while await relay.publish_pending():
            pass
        message = await asyncio.wait_for(received.get(), timeout=15)
        payload = event_from_nats(message.headers, message.data).message()
        assert isinstance(payload, identity_events.UserFarewellRequested)
        assert payload.email == address
        async with database.connection() as connection:
            rows = {
                str(row.id): bytes(row.payload)
                for row in await connection.execute(
                    select(outbox_events.c.id, outbox_events.c.payload).where(
                        outbox_events.c.subject == user_id
                    )
                )
            }
        assert rows[farewell.id] == b""
        assert rows[kept.id] == kept.data
    finally:
        await listener.close()
        async with database.transaction() as connection:
            await connection.execute(
                delete(outbox_events).where(outbox_events.c.subject == user_id)
            )
