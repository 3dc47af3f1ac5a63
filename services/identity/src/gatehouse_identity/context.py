"""What the identity process holds for its lifetime: settings, pool, event bus, hasher."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from gatehouse_common.db import Database
from gatehouse_common.nats_bus import EventBus
from gatehouse_common.resources import ServiceResources
from gatehouse_identity.password_hashing import PasswordHasher
from gatehouse_identity.settings import IdentitySettings


@dataclass
class IdentityContext:
    settings: IdentitySettings
    resources: ServiceResources
    hasher: PasswordHasher

    @property
    def database(self) -> Database:
        return self.resources.database

    @property
    def pool(self) -> asyncpg.Pool:
        """The raw asyncpg bridge, for the modules not yet on SQLAlchemy (issue 16)."""
        return self.resources.pool

    @property
    def bus(self) -> EventBus:
        return self.resources.bus

    @classmethod
    async def open(cls, settings: IdentitySettings) -> IdentityContext:
        hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_kib=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
            threads=settings.password_hash_threads,
        )
        return cls(
            settings=settings, resources=await ServiceResources.open(settings), hasher=hasher
        )

    async def close(self) -> None:
        await self.resources.close()
        self.hasher.close()
