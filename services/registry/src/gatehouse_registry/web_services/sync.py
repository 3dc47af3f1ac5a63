"""The job that makes sure identity hears of every machine-client revocation: every
`interval_s` it asks identity to remove the revoked clients it has not confirmed removing yet
(identity's DeleteMachineClient is idempotent). While identity is down the registry already
refuses those clients' tokens; identity stops issuing new ones once it has been told."""

from __future__ import annotations

import asyncio
import logging

from gatehouse_common.db import Database
from gatehouse_registry.auth.revocations import DATABASE_ERRORS
from gatehouse_registry.web_services import service
from gatehouse_registry.web_services.identity import MachineClientDirectory

logger = logging.getLogger(__name__)


class RevocationSyncJob:
    def __init__(
        self, *, database: Database, identity: MachineClientDirectory, interval_s: float
    ) -> None:
        self._database = database
        self._identity = identity
        self._interval_s = interval_s

    async def run(self) -> None:
        while True:
            try:
                removed = await service.sync_revocations(self._database, identity=self._identity)
            except DATABASE_ERRORS as error:
                logger.warning("machine client sync failed", extra={"error": str(error)})
                removed = []
            if removed:
                logger.info(
                    "revoked machine clients removed at identity", extra={"n": len(removed)}
                )
            await asyncio.sleep(self._interval_s)
