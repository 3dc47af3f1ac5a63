"""The resources every service process opens once: its database and the event bus."""

from __future__ import annotations

from dataclasses import dataclass

from gatehouse_common.db import Database, register_pool_metrics
from gatehouse_common.health import ReadinessCheck
from gatehouse_common.nats_bus import EventBus
from gatehouse_common.settings import ServiceSettings


@dataclass
class ServiceResources:
    database: Database
    bus: EventBus

    @classmethod
    async def open(cls, settings: ServiceSettings) -> ServiceResources:
        database = await Database.open(
            settings.database_url,
            min_size=settings.database_pool_min,
            max_size=settings.database_pool_max,
        )
        register_pool_metrics(database, service=settings.service_name)
        bus = EventBus(
            url=settings.nats_url,
            stream=settings.events_stream,
            subject_prefix=settings.events_subject_prefix,
            name=settings.service_name,
        )
        return cls(database=database, bus=bus)

    def readiness_checks(self) -> dict[str, ReadinessCheck]:
        async def nats_connected() -> bool:
            return self.bus.is_connected

        async def database_reachable() -> bool:
            return await self.database.is_reachable()

        return {"database": database_reachable, "nats": nats_connected}

    async def close(self) -> None:
        await self.bus.close()
        await self.database.close()
