"""The registry's background work: the inactivity job and the consumer of identity's events."""

from __future__ import annotations

import asyncio
import logging
import uuid

import nats.errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import BadRequestError

from gatehouse.events.v1 import identity_events_pb2 as identity_events
from gatehouse_common.db import Database
from gatehouse_common.events import MalformedEventError, event_from_nats
from gatehouse_common.nats_bus import EventBus
from gatehouse_common.tracing import consumer_span
from gatehouse_registry.auth.revocations import DATABASE_ERRORS, RevocationList
from gatehouse_registry.users.deletion import DELETED, forget_deleted_user
from gatehouse_registry.users.inactivity import run_inactivity_check, suspend_after_devices_reset

logger = logging.getLogger(__name__)

DEVICES_RESET = "identity.user.devices_reset"
FETCH_TIMEOUT_S = 5.0
RETRY_DELAY_S = 5.0
# Database trouble that may pass (SQLAlchemy's wrappers of the driver's errors included).
TRANSIENT_ERRORS = DATABASE_ERRORS
NATS_ERRORS = (nats.errors.Error, OSError, TimeoutError)


class InactivityJob:
    """Runs the inactivity check every `interval_s` (first run at start-up)."""

    def __init__(
        self,
        *,
        database: Database,
        interval_s: float,
        inactive_after_months: int,
        warning_days: int,
    ) -> None:
        self._database = database
        self._interval_s = interval_s
        self._months = inactive_after_months
        self._warning_days = warning_days

    async def run(self) -> None:
        while True:
            outcome = await run_inactivity_check(
                self._database, inactive_after_months=self._months, warning_days=self._warning_days
            )
            if outcome.warned or outcome.inactivated:
                logger.info(
                    "inactivity check",
                    extra={"warned": outcome.warned, "inactivated": outcome.inactivated},
                )
            await asyncio.sleep(self._interval_s)


class IdentityEventsConsumer:
    """A durable JetStream consumer of its own for one of identity's events:
    identity.user.devices_reset (the default) or identity.user.deleted (each its own durable
    name, so adding the second left the first's configuration as it was).

    The user's access tokens issued until the reset are refused first (recording that twice on a
    redelivery does no harm). Then the event is acted on and recorded in `handled_events` in one
    transaction and acked after the commit, so a redelivery is acked without suspending twice; a
    database failure naks the message for a later retry; an unreadable message is terminated
    (it can never succeed).
    """

    def __init__(
        self,
        *,
        database: Database,
        bus: EventBus,
        durable_name: str,
        revocations: RevocationList,
        event_type: str = DEVICES_RESET,
    ) -> None:
        if event_type not in (DEVICES_RESET, DELETED):
            raise ValueError(f"no handling for {event_type}")
        self._database = database
        self._bus = bus
        self._durable_name = durable_name
        self._revocations = revocations
        self._event_type = event_type

    async def run(self) -> None:
        while True:
            try:
                subscription = await self._subscribe()
                while True:
                    try:
                        batch = await subscription.fetch(10, timeout=FETCH_TIMEOUT_S)
                    except TimeoutError:
                        continue
                    for msg in batch:
                        await self.process(msg)
            except NATS_ERRORS as error:
                logger.warning("identity event consumer lost NATS", extra={"error": str(error)})
                await asyncio.sleep(1.0)

    async def _subscribe(self) -> JetStreamContext.PullSubscription:
        js = await self._bus.jetstream()
        config = ConsumerConfig(
            name=self._durable_name,
            durable_name=self._durable_name,
            filter_subject=f"{self._bus.subject_prefix}.{self._event_type}",
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=30,
            max_deliver=-1,
        )
        try:
            await js.add_consumer(self._bus.stream, config)
        except BadRequestError as error:
            logger.warning("consumer exists with another configuration", extra={"e": str(error)})
        return await js.pull_subscribe_bind(durable=self._durable_name, stream=self._bus.stream)

    async def process(self, msg: Msg) -> str:
        """Act on one message and settle it; returns "done", "duplicate", "retry" or "dropped"."""
        try:
            event = event_from_nats(msg.headers, msg.data)
            payload = event.message()
            user_id = uuid.UUID(getattr(payload, "user_id", ""))
            event_id = uuid.UUID(event.id)
        except (MalformedEventError, ValueError) as error:
            logger.warning("dropping an unreadable identity event", extra={"error": str(error)})
            await msg.term()
            return "dropped"
        expected = (
            identity_events.UserDevicesReset
            if self._event_type == DEVICES_RESET
            else identity_events.UserDeleted
        )
        if event.type != self._event_type or not isinstance(payload, expected):
            logger.warning("dropping an unexpected event", extra={"type": event.type})
            await msg.term()
            return "dropped"
        try:
            with consumer_span(f"registry handle {event.type}", event.extra_headers):
                # Tokens first: refusing them twice on a redelivery does no harm.
                await self._revocations.revoke_user(user_id=user_id, issued_before=event.time)
                if isinstance(payload, identity_events.UserDevicesReset):
                    outcome: object = await suspend_after_devices_reset(
                        self._database,
                        user_id=user_id,
                        event_id=event_id,
                        sign_in_reported=payload.sign_in_reported,
                    )
                else:
                    outcome = await forget_deleted_user(
                        self._database,
                        user_id=user_id,
                        pseudonym=payload.pseudonym,
                        event_id=event_id,
                    )
        except TRANSIENT_ERRORS as error:
            logger.warning(
                "identity event not handled yet; retrying",
                extra={"type": event.type, "error": str(error)},
            )
            await msg.nak(delay=RETRY_DELAY_S)
            return "retry"
        await msg.ack()
        return "duplicate" if outcome is None else "done"
