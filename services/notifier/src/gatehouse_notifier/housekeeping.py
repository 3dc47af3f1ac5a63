"""Periodic clean-up: forget old handled event ids and registry memory, erase bodies whose links
have expired."""

from __future__ import annotations

import asyncio
import logging

import asyncpg

from gatehouse_notifier import store
from gatehouse_notifier.settings import NotifierSettings

logger = logging.getLogger(__name__)


class Housekeeping:
    def __init__(self, *, pool: asyncpg.Pool, settings: NotifierSettings) -> None:
        self._pool = pool
        self._settings = settings

    async def run(self) -> None:
        while True:
            try:
                await self.run_once()
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                logger.warning("housekeeping failed; will retry", extra={"error": str(error)})
            await asyncio.sleep(self._settings.housekeeping_interval_s)

    async def run_once(self) -> None:
        pruned = await store.prune_handled_events(
            self._pool, older_than_days=self._settings.handled_events_retention_days
        )
        scrubbed = await store.scrub_finished_bodies(
            self._pool, older_than_hours=self._settings.message_body_retention_hours
        )
        settings = self._settings
        last_reminder_days = settings.role_request_reminder_days + (
            settings.role_request_reminder_repeat_days * max(settings.role_request_max_reminders, 1)
        )
        forgotten = await store.prune_registry_memory(
            self._pool,
            requests_older_than_days=last_reminder_days + 1,
            operators_older_than_days=settings.operator_memory_days,
        )
        if pruned or scrubbed or forgotten:
            logger.info(
                "housekeeping",
                extra={
                    "handled_events_pruned": pruned,
                    "bodies_erased": scrubbed,
                    "registry_memory_pruned": forgotten,
                },
            )
