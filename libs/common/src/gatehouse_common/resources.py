"""The resources every service process opens once: a database pool and the event bus."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from gatehouse_common.db import create_pool, is_reachable, register_pool_metrics
from gatehouse_common.health import ReadinessCheck
from gatehouse_common.nats_bus import EventBus
from gatehouse_common.settings import ServiceSettings


@dataclass
class ServiceResources:
    pool: asyncpg.Pool
    bus: EventBus

    @classmethod
    async def open(cls, settings: ServiceSettings) -> ServiceResources:
        pool = await create_pool(
            settings.database_url,
            min_size=settings.database_pool_min,
            max_size=settings.database_pool_max,
        )
        register_pool_metrics(pool, service=settings.service_name)
        bus = EventBus(
            url=settings.nats_url,
            stream=settings.events_stream,
            subject_prefix=settings.events_subject_prefix,
            name=settings.service_name,
        )
        return cls(pool=pool, bus=bus)

    def readiness_checks(self) -> dict[str, ReadinessCheck]:
        async def nats_connected() -> bool:
            return self.bus.is_connected

        async def database_reachable() -> bool:
            return await is_reachable(self.pool)

        return {"database": database_reachable, "nats": nats_connected}

    async def close(self) -> None:
        await self.bus.close()
        await self.pool.close()
