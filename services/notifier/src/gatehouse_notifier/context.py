"""What the notifier process holds for its lifetime: settings, database, bus, lookups, workers."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from gatehouse_common.db import Database
from gatehouse_common.health import ReadinessCheck
from gatehouse_common.nats_bus import EventBus
from gatehouse_notifier.consumer import Consumer, public_urls
from gatehouse_notifier.courier import Courier, run_couriers
from gatehouse_notifier.directory import IdentityDirectory
from gatehouse_notifier.housekeeping import Housekeeping
from gatehouse_notifier.registry import GrpcRegistry
from gatehouse_notifier.reminders import RoleRequestReminders, TrackedPendingRoleRequests
from gatehouse_notifier.rendering import Renderer
from gatehouse_notifier.settings import NotifierSettings
from gatehouse_notifier.writer import MessageWriter


@dataclass
class NotifierContext:
    settings: NotifierSettings
    database: Database
    bus: EventBus
    directory: IdentityDirectory
    registry: GrpcRegistry
    renderer: Renderer
    # Set by the consumer after it queues messages: this replica's courier starts at once.
    courier_wake: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    async def open(cls, settings: NotifierSettings) -> NotifierContext:
        database = await Database.open(
            settings.database_url,
            min_size=settings.database_pool_min,
            max_size=settings.database_pool_max,
        )
        bus = EventBus(
            url=settings.nats_url,
            stream=settings.events_stream,
            subject_prefix=settings.events_subject_prefix,
            name="notifier",
        )
        return cls(
            settings=settings,
            database=database,
            bus=bus,
            directory=IdentityDirectory(
                target=settings.identity_grpc_target,
                secret=settings.service_auth_key,
                tls=settings.grpc_tls,
            ),
            registry=GrpcRegistry(
                target=settings.registry_grpc_target,
                secret=settings.service_auth_key,
                tls=settings.grpc_tls,
            ),
            renderer=Renderer(timezone=settings.mail_timezone),
        )

    @property
    def writer(self) -> MessageWriter:
        domain = self.settings.mail_from_address.rpartition("@")[2]
        return MessageWriter(renderer=self.renderer, domain=domain)

    def consumer(self) -> Consumer:
        return Consumer(
            database=self.database,
            bus=self.bus,
            directory=self.directory,
            registry=self.registry,
            writer=self.writer,
            settings=self.settings,
            on_queued=self.courier_wake.set,
        )

    def courier(self) -> Courier:
        """One courier (tests); `couriers` runs as many as COURIER_CONCURRENCY."""
        return Courier(database=self.database, settings=self.settings, wake=self.courier_wake)

    async def couriers(self) -> None:
        await run_couriers(database=self.database, settings=self.settings, wake=self.courier_wake)

    def reminders(self) -> RoleRequestReminders:
        return RoleRequestReminders(
            database=self.database,
            source=TrackedPendingRoleRequests(self.database),
            directory=self.directory,
            registry=self.registry,
            writer=self.writer,
            settings=self.settings,
            urls=public_urls(self.settings),
            on_queued=self.courier_wake.set,
        )

    def housekeeping(self) -> Housekeeping:
        return Housekeeping(database=self.database, settings=self.settings)

    def readiness_checks(self) -> dict[str, ReadinessCheck]:
        async def nats_connected() -> bool:
            return self.bus.is_connected

        async def database_reachable() -> bool:
            return await self.database.is_reachable()

        return {"database": database_reachable, "nats": nats_connected}

    async def close(self) -> None:
        await self.directory.close()
        await self.registry.close()
        await self.bus.close()
        await self.database.close()
