"""Back-channel logout (OpenID Connect Back-Channel Logout 1.0).

When an identity session ends, a database trigger (migration 0004) revokes its grants and queues
one row per client and session in `oidc_backchannel_logouts`, then NOTIFYs. This worker, running
in every identity process, wakes on the notification (or every few seconds), claims due rows with
SKIP LOCKED so replicas share the work, and POSTs a signed logout token to each client's
`backchannel_logout_uri`. Failures are retried with exponential backoff for about a day.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from datetime import timedelta
from typing import Any

import asyncpg
import httpx

from gatehouse_common.db import DATABASE_ERRORS
from gatehouse_identity.context import IdentityContext
from gatehouse_identity.oidc import backchannel_queries as queries
from gatehouse_identity.oidc import grants
from gatehouse_identity.oidc.keys import LOGOUT_TOKEN_TTL, KeyStore
from gatehouse_identity.sign_in import notices

logger = logging.getLogger(__name__)

CHANNEL = "oidc_backchannel_logout"
LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
POLL_INTERVAL_S = 5.0
HOUSEKEEPING_INTERVAL_S = 600.0
BATCH = 50
LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 12  # 10 s doubling to an hour: about a day in all
FIRST_RETRY_S = 10
MAX_RETRY_S = 3600


async def logout_token(
    keys: KeyStore, *, issuer: str, client_id: str, user_id: uuid.UUID, sid: str
) -> str:
    now = int(time.time())
    claims = {
        "iss": issuer,
        "aud": client_id,
        "iat": now,
        "exp": now + int(LOGOUT_TOKEN_TTL.total_seconds()),
        "jti": str(uuid.uuid4()),
        "sub": str(user_id),
        "sid": sid,
        "events": {LOGOUT_EVENT: {}},
    }
    return await keys.sign(claims, typ="logout+jwt")


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(FIRST_RETRY_S * 2 ** max(attempts - 1, 0), MAX_RETRY_S))


class BackchannelWorker:
    def __init__(self, context: IdentityContext) -> None:
        self._context = context
        settings = context.settings
        self._keys = KeyStore(
            context.database, settings, secret_key=settings.secret_key.get_secret_value()
        )
        self._issuer = settings.public_url.rstrip("/")
        self._wake = asyncio.Event()

    async def run(self) -> None:
        """Deliver until cancelled (the process's lifetime)."""
        listener = await self._listen()
        last_housekeeping = 0.0
        async with httpx.AsyncClient(
            timeout=self._context.settings.backchannel_logout_timeout_s, follow_redirects=False
        ) as http:
            try:
                while True:
                    try:
                        while await self.deliver_due(http) == BATCH:
                            pass
                        if time.monotonic() - last_housekeeping > HOUSEKEEPING_INTERVAL_S:
                            await grants.delete_stale(self._context.database)
                            await notices.forget_old(self._context.database)
                            last_housekeeping = time.monotonic()
                    except DATABASE_ERRORS as error:
                        logger.warning(
                            "back-channel logout round failed", extra={"error": str(error)}
                        )
                    if listener is None or listener.is_closed():
                        listener = await self._listen()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), POLL_INTERVAL_S)
                    self._wake.clear()
            finally:
                if listener is not None and not listener.is_closed():
                    await listener.close()

    async def _listen(self) -> asyncpg.Connection | None:
        try:
            connection = await asyncpg.connect(self._context.settings.database_url)
            await connection.add_listener(CHANNEL, self._notified)
        except (OSError, asyncpg.PostgresError) as error:
            logger.warning("cannot listen for logouts; polling", extra={"error": str(error)})
            return None
        return connection

    def _notified(self, *_args: Any) -> None:
        self._wake.set()

    async def deliver_due(self, http: httpx.AsyncClient) -> int:
        """Claim and deliver the logouts that are due; returns how many were claimed."""
        async with self._context.database.connection() as connection:
            due = await queries.claim_due(connection, lease=LEASE, batch=BATCH)
        await asyncio.gather(*(self._deliver(http, logout) for logout in due))
        return len(due)

    async def _deliver(self, http: httpx.AsyncClient, logout: queries.DueLogout) -> None:
        database = self._context.database
        uri = logout.backchannel_logout_uri
        if not uri:
            async with database.connection() as connection:
                await queries.abandoned(
                    connection, logout_id=logout.id, error="no back-channel logout URI"
                )
            return
        error: str | None = None
        try:
            token = await logout_token(
                self._keys,
                issuer=self._issuer,
                client_id=logout.client_id,
                user_id=logout.user_id,
                sid=logout.sid,
            )
            response = await http.post(
                uri,
                data={"logout_token": token},
                headers={"Cache-Control": "no-store"},
            )
            if not response.is_success:
                error = f"HTTP {response.status_code}"
        except httpx.HTTPError as failure:
            error = f"{type(failure).__name__}: {failure}"
        async with database.connection() as connection:
            if error is None:
                await queries.delivered(connection, logout_id=logout.id)
                return
            attempts = logout.attempts
            logger.warning(
                "back-channel logout not delivered",
                extra={"client_id": logout.client_id, "attempts": attempts, "error": error},
            )
            if attempts >= MAX_ATTEMPTS:
                await queries.abandoned(connection, logout_id=logout.id, error=error[:500])
            else:
                await queries.retry_later(
                    connection, logout_id=logout.id, delay=retry_delay(attempts), error=error[:500]
                )


def backchannel_worker(context: IdentityContext) -> BackchannelWorker:
    return BackchannelWorker(context)
