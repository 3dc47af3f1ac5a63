"""Periodic clean-up: forget old handled event ids and registry memory, erase bodies whose links
have expired, and the address of each deleted account's final e-mail with its body."""

from __future__ import annotations

import asyncio
import logging

from gatehouse_common.db import DATABASE_ERRORS, Database
from gatehouse_notifier import queries
from gatehouse_notifier.messages import FAREWELL_TEMPLATE
from gatehouse_notifier.settings import NotifierSettings

logger = logging.getLogger(__name__)


class Housekeeping:
    def __init__(self, *, database: Database, settings: NotifierSettings) -> None:
        self._database = database
        self._settings = settings

    async def run(self) -> None:
        while True:
            try:
                await self.run_once()
            except DATABASE_ERRORS as error:
                logger.warning("housekeeping failed; will retry", extra={"error": str(error)})
            await asyncio.sleep(self._settings.housekeeping_interval_s)

    async def run_once(self) -> None:
        settings = self._settings
        last_reminder_days = settings.role_request_reminder_days + (
            settings.role_request_reminder_repeat_days * max(settings.role_request_max_reminders, 1)
        )
        # Each clean-up commits on its own: a long one does not hold the others' rows.
        async with self._database.connection() as connection:
            pruned = await queries.prune_handled_events(
                connection, older_than_days=settings.handled_events_retention_days
            )
            # Before the bodies: the final e-mails of deleted accounts lose their address too.
            farewells = await queries.forget_farewell_recipients(
                connection,
                template=FAREWELL_TEMPLATE,
                older_than_hours=settings.message_body_retention_hours,
            )
            scrubbed = await queries.scrub_finished_bodies(
                connection, older_than_hours=settings.message_body_retention_hours
            )
            forgotten = await queries.prune_registry_memory(
                connection,
                requests_older_than_days=last_reminder_days + 1,
                operators_older_than_days=settings.operator_memory_days,
            )
        if pruned or scrubbed or forgotten or farewells:
            logger.info(
                "housekeeping",
                extra={
                    "handled_events_pruned": pruned,
                    "bodies_erased": scrubbed,
                    "registry_memory_pruned": forgotten,
                    "farewell_addresses_erased": farewells,
                },
            )
