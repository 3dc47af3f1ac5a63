"""What the identity process holds for its lifetime: settings, database, event bus, hasher."""

from __future__ import annotations

from dataclasses import dataclass, field

from gatehouse_common.db import Database
from gatehouse_common.nats_bus import EventBus
from gatehouse_common.resources import ServiceResources
from gatehouse_identity.accounts.registry import GrpcSoleAdministrations, SoleAdministrations
from gatehouse_identity.my_data.email_history import EmailHistory, GrpcEmailHistory
from gatehouse_identity.password_hashing import PasswordHasher
from gatehouse_identity.settings import IdentitySettings


@dataclass
class IdentityContext:
    settings: IdentitySettings
    resources: ServiceResources
    hasher: PasswordHasher
    # What *Delete my account* asks the registry (None: not opened, as in some tests: deleting
    # is then refused as when the registry is unreachable).
    registry: SoleAdministrations | None = field(default=None)
    # What *My data* asks the notifier (None: not opened; the export then says the e-mail
    # history is unavailable).
    notifier: EmailHistory | None = field(default=None)

    @property
    def database(self) -> Database:
        return self.resources.database

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
        registry = GrpcSoleAdministrations(
            target=settings.registry_grpc_target,
            secret=settings.service_auth_secret.get_secret_value().encode(),
            timeout_s=settings.registry_grpc_timeout_s,
            tls=settings.grpc_tls,
        )
        notifier = GrpcEmailHistory(
            target=settings.notifier_grpc_target,
            secret=settings.service_auth_secret.get_secret_value().encode(),
            timeout_s=settings.notifier_grpc_timeout_s,
            tls=settings.grpc_tls,
        )
        return cls(
            settings=settings,
            resources=await ServiceResources.open(settings),
            hasher=hasher,
            registry=registry,
            notifier=notifier,
        )

    async def close(self) -> None:
        await self.resources.close()
        if isinstance(self.registry, GrpcSoleAdministrations):
            await self.registry.close()
        if isinstance(self.notifier, GrpcEmailHistory):
            await self.notifier.close()
        self.hasher.close()
