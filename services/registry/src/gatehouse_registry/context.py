"""What the registry process holds for its lifetime: settings, database, event bus."""

from __future__ import annotations

from dataclasses import dataclass

from gatehouse_common.db import Database
from gatehouse_common.nats_bus import EventBus
from gatehouse_common.resources import ServiceResources
from gatehouse_registry.settings import RegistrySettings


@dataclass
class RegistryContext:
    settings: RegistrySettings
    resources: ServiceResources

    @property
    def database(self) -> Database:
        return self.resources.database

    @property
    def bus(self) -> EventBus:
        return self.resources.bus

    @classmethod
    async def open(cls, settings: RegistrySettings) -> RegistryContext:
        return cls(settings=settings, resources=await ServiceResources.open(settings))

    async def close(self) -> None:
        await self.resources.close()
