"""New-device notices (issue 18, point 2): the right password from a browser without the user's
device cookie *and* from a network not seen for the user in 90 days is told to the user by
e-mail (event identity.user.new_device_signed_in, through the outbox and the notifier), with a
"This wasn't me" link.

The place is the network, never the address or a geolocation: the /24 of an IPv4 address, the
/48 of an IPv6 one (a household or an office, where addresses change within it). A user with no
network recorded at all (the first sign-in after setting the password, or the first since this
was deployed) is not warned: there is nothing yet to compare with.

"This wasn't me" is a single-use link (only its SHA-256 is stored) that expires after
REPORT_LINK_TTL. Confirming it (a page; never on a GET) ends every session, removes the second
factors and recovery codes made since the reported sign-in (its session could add a passkey, which
signs in with no password), blocks the account as five wrong passwords do (only a password set
from an e-mailed link unblocks it), and publishes identity.user.devices_reset with
`sign_in_reported`, so the registry revokes the user's tokens and suspends their access as after
a devices reset.
"""

from __future__ import annotations

import ipaddress
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from prometheus_client import Counter
from ua_parser import parse

from gatehouse.events.v1 import identity_events_pb2 as events
from gatehouse_common.db import Database
from gatehouse_common.nats_bus import STREAM_MAX_AGE_S
from gatehouse_common.outbox import add_event
from gatehouse_identity.accounts.errors import InvalidLinkError
from gatehouse_identity.accounts.links import IssuedLink, token_hash
from gatehouse_identity.audit import service as audit
from gatehouse_identity.audit.service import AuditKind
from gatehouse_identity.events import SOURCE
from gatehouse_identity.sessions.service import end_user_sessions
from gatehouse_identity.sign_in import notice_queries as queries

NOTICE_EVENT = "identity.user.new_device_signed_in"
DEVICES_RESET_EVENT = "identity.user.devices_reset"
# A network seen less long ago than this is the user's own.
SEEN_FOR = timedelta(days=90)
# People read their mail late: the link stays usable longer than a password link.
REPORT_LINK_TTL = timedelta(days=7)
MAX_TOKEN_LENGTH = 100
MAX_BROWSER_LENGTH = 100
IPV4_PREFIX = 24
IPV6_PREFIX = 48

NOTICES = Counter(
    "gatehouse_identity_new_device_notices_total", "Sign-ins from a new device told to the user"
)
REPORTS = Counter(
    "gatehouse_identity_sign_in_reports_total", "Sign-ins the user reported as not theirs"
)


def network_of(address: str | None) -> str:
    """The /24 (IPv4) or /48 (IPv6) the address is in; "" when it is not an address."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return ""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = IPV4_PREFIX if ip.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def browser_of(user_agent: str | None) -> str:
    """ "Firefox 128, Windows 10" from the user agent; "" when it names nothing known."""
    if not user_agent:
        return ""
    parsed = parse(user_agent[:500])
    agent = parsed.user_agent
    system = parsed.os
    name = " ".join(part for part in (agent.family, agent.major) if part) if agent else ""
    where = " ".join(part for part in (system.family, system.major) if part) if system else ""
    text = f"{name}, {where}" if name and where else name or where
    return text[:MAX_BROWSER_LENGTH]


async def note_sign_in(
    database: Database,
    *,
    user_id: uuid.UUID,
    address: str | None,
    user_agent: str | None,
    known_device: bool,
) -> bool:
    """Record the network of a sign-in whose password was right; True when the user is told.

    A known browser is never told about, so its network is only remembered: one statement
    instead of a transaction of five (most sign-ins are from the user's own browsers)."""
    network = network_of(address)
    if not network:
        return False
    if known_device:
        async with database.connection() as connection:
            await queries.remember_network(connection, user_id=user_id, network=network)
        return False
    async with database.transaction() as connection:
        await queries.lock_user(connection, user_id=user_id)
        has_history, last_seen = await queries.network_history(
            connection, user_id=user_id, network=network
        )
        await queries.remember_network(connection, user_id=user_id, network=network)
        recent = last_seen is not None and last_seen > datetime.now(UTC) - SEEN_FOR
        if recent or not has_history:
            return False
        browser = browser_of(user_agent)
        event = await add_event(
            connection,
            event_type=NOTICE_EVENT,
            source=SOURCE,
            subject=str(user_id),
            message=events.UserNewDeviceSignedIn(
                user_id=str(user_id), network=network, browser=browser
            ),
        )
        await queries.add_notice(
            connection,
            event_id=uuid.UUID(event.id),
            user_id=user_id,
            network=network,
            browser=browser,
        )
    NOTICES.inc()
    return True


@dataclass(frozen=True)
class ReportLinkRequest:
    user_id: uuid.UUID
    # The notice's event (identity.user.new_device_signed_in).
    event_id: uuid.UUID


async def forget_old(database: Database) -> None:
    """Housekeeping: keep what notices need for as long as they need it. A network is kept for
    the SEEN_FOR the rule looks back (a user's latest one for as long as the account, so that a
    long absence does not make the next sign-in look like the very first); a notice while its
    "This wasn't me" link can still be used, or, when the notifier has not asked for the link
    yet, while its event can still reach the notifier (the stream keeps events STREAM_MAX_AGE_S).
    """
    now = datetime.now(UTC)
    async with database.transaction() as connection:
        await queries.delete_stale(
            connection,
            seen_before=now - SEEN_FOR,
            noticed_before=now - timedelta(seconds=STREAM_MAX_AGE_S),
        )


async def issue_report_links(
    database: Database, requests: Sequence[ReportLinkRequest]
) -> list[IssuedLink | None]:
    """A fresh "This wasn't me" link per notice (replacing the one issued before, as a
    redelivered event asks again); None for a notice unknown, of another user or reported."""
    issued: list[IssuedLink | None] = []
    async with database.transaction() as connection:
        for request in requests:
            token = secrets.token_urlsafe(32)
            expires_at = datetime.now(UTC) + REPORT_LINK_TTL
            found = await queries.set_report_token(
                connection,
                event_id=request.event_id,
                user_id=request.user_id,
                token_hash=token_hash(token),
                expires_at=expires_at,
            )
            issued.append(IssuedLink(token=token, expires_at=expires_at) if found else None)
    return issued


@dataclass(frozen=True)
class ReportedSignIn:
    """What the confirmation page shows of the sign-in the link is about."""

    signed_in_at: datetime
    network: str
    browser: str


def _hash(token: str) -> bytes | None:
    if not token or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        return None
    return token_hash(token)


async def reported_sign_in(database: Database, *, token: str) -> ReportedSignIn | None:
    """The sign-in a still usable link is about; None when the link cannot be used."""
    hashed = _hash(token)
    if hashed is None:
        return None
    async with database.connection() as connection:
        row = await queries.open_notice(connection, token_hash=hashed)
    if row is None:
        return None
    return ReportedSignIn(
        signed_in_at=row["signed_in_at"],  # type: ignore[arg-type]
        network=str(row["network"]),
        browser=str(row["browser"]),
    )


async def report_sign_in(database: Database, *, token: str) -> uuid.UUID:
    """ "This wasn't me", confirmed: end every session, remove the second factors added since
    the reported sign-in, block the account until a new password is set, and tell the registry
    as a devices reset does. InvalidLinkError if the link cannot
    be used (used, expired, replaced or unknown)."""
    hashed = _hash(token)
    async with database.transaction() as connection:
        user_id = None
        if hashed is not None:
            user_id = await queries.mark_reported(connection, token_hash=hashed)
        if hashed is None or user_id is None:
            raise InvalidLinkError(
                "the link is not valid: it was already used, has expired or was replaced",
                field="token",
            )
        await queries.block_user(connection, user_id=user_id)
        removed = await queries.remove_factors_since_sign_in(
            connection, user_id=user_id, token_hash=hashed
        )
        ended = await end_user_sessions(connection, user_id=user_id)
        await audit.record(
            connection,
            kind=AuditKind.SIGN_IN_REPORTED,
            user_id=user_id,
            detail={"sessions_ended": ended, "removed_count": removed},
        )
        await add_event(
            connection,
            event_type=DEVICES_RESET_EVENT,
            source=SOURCE,
            subject=str(user_id),
            message=events.UserDevicesReset(
                user_id=str(user_id), removed_count=removed, sign_in_reported=True
            ),
        )
    REPORTS.inc()
    return user_id
