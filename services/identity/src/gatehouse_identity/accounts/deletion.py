"""*Delete my account* (issue 18, point 3; GDPR art. 17).

Before anything is deleted, the registry is asked (gRPC) whether the user is the only
administrator of an organization: then the deletion is refused until they appoint another one
(LastAdministratorError), and when the registry cannot answer it is refused too
(RegistryUnavailableError) — an operator left without an administrator cannot be mended by the
operator itself, a refused deletion can simply be tried again.

Then, in ONE transaction: the account row is locked and deleted, and with it (foreign keys, ON
DELETE CASCADE) everything identity holds about the person — sessions (their OIDC grants are
revoked and back-channel logouts queued by the sessions trigger before the grants go), second
factors, passkeys and their keys, phone numbers, recovery codes, password links, device-cookie
buckets, seen networks, new-device notices, consents, eID links. The e-mail address becomes free
(a new sign-up may use it). What stays: the security audit log under the bare user id (kinds,
times, network address and browser of each entry; never a name or an e-mail address) with an
`account.deleted` entry naming the pseudonym, and the outbox rows of events already published
(ids and the non-personal facts they carried).

Two events are written in that transaction:
- `identity.user.deleted` (user id + pseudonym, nothing personal) for every consumer: the
  registry ends the user's roles and shows the pseudonym in their place;
- `identity.user.farewell_requested` with the address and the e-mail language, for the final
  e-mail only: identity no longer holds them, so the notifier cannot look them up as it does for
  every other e-mail. The outbox blanks this row's payload once it is published
  (gatehouse_common.event_catalog.ERASED_AFTER_PUBLISHING).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from prometheus_client import Counter

from gatehouse.events.v1 import identity_events_pb2 as events
from gatehouse_common.db import Database
from gatehouse_identity.accounts import deletion_queries as queries
from gatehouse_identity.accounts.errors import (
    AccountAlreadyDeletedError,
    DeletionNotConfirmedError,
    LastAdministratorError,
    RegistryUnavailableError,
)
from gatehouse_identity.accounts.registry import RegistryUnreachableError, SoleAdministrations
from gatehouse_identity.audit import service as audit
from gatehouse_identity.audit.service import AuditKind
from gatehouse_identity.events import emit
from gatehouse_identity.sessions.service import end_user_sessions

DELETED_EVENT = "identity.user.deleted"
FAREWELL_EVENT = "identity.user.farewell_requested"
PSEUDONYM_PREFIX = "deleted-user-"
MAX_CONFIRMATION_LENGTH = 320

DELETIONS = Counter("gatehouse_identity_accounts_deleted_total", "Accounts deleted by their owner")


def pseudonym_of(user_id: uuid.UUID) -> str:
    """ "deleted-user-3f2a9c0d41b7": what other services show in place of a deleted person; the
    same for the same account everywhere, and saying nothing about who it was."""
    return PSEUDONYM_PREFIX + hashlib.sha256(user_id.bytes).hexdigest()[:12]


@dataclass(frozen=True)
class DeletedAccount:
    user_id: uuid.UUID
    pseudonym: str
    sessions_ended: int


async def check_not_last_administrator(
    registry: SoleAdministrations | None, *, user_id: uuid.UUID
) -> None:
    """LastAdministratorError naming the organizations the user alone administers;
    RegistryUnavailableError when the registry cannot tell (or is not configured)."""
    if registry is None:
        raise RegistryUnavailableError("no registry to ask", field="confirmation")
    try:
        alone = await registry.sole_administrations(user_id=user_id)
    except RegistryUnreachableError as error:
        raise RegistryUnavailableError(str(error), field="confirmation") from error
    if alone:
        raise LastAdministratorError(sorted(alone))


async def delete_account(
    database: Database,
    *,
    registry: SoleAdministrations | None,
    user_id: uuid.UUID,
    confirmation: str,
) -> DeletedAccount:
    """Delete the user's account for good (see the module's text). `confirmation` must be the
    account's e-mail address, as typed by its owner (case and surrounding spaces aside).

    Raises LastAdministratorError or RegistryUnavailableError (nothing changed),
    DeletionNotConfirmedError (nothing changed), AccountAlreadyDeletedError (a deletion in
    parallel, or before, won)."""
    typed = confirmation.strip().lower()[: MAX_CONFIRMATION_LENGTH + 1]
    if not typed:
        raise DeletionNotConfirmedError("type the account's e-mail address", field="confirmation")
    await check_not_last_administrator(registry, user_id=user_id)
    pseudonym = pseudonym_of(user_id)
    async with database.transaction() as connection:
        leaving = await queries.lock_account(connection, user_id=user_id)
        if leaving is None:
            raise AccountAlreadyDeletedError("the account was deleted", field="confirmation")
        if typed != leaving.email.strip().lower():
            raise DeletionNotConfirmedError(
                "the confirmation is not the account's e-mail address", field="confirmation"
            )
        # Sessions first, while the grants still exist: the sessions trigger revokes the OIDC
        # grants each session gave and queues the back-channel logouts of their clients.
        ended = await end_user_sessions(connection, user_id=user_id)
        await queries.delete_account(connection, user_id=user_id)
        await audit.record(
            connection,
            kind=AuditKind.ACCOUNT_DELETED,
            user_id=user_id,
            detail={"pseudonym": pseudonym, "sessions_ended": ended},
        )
        await emit(
            connection,
            FAREWELL_EVENT,
            user_id=user_id,
            message=events.UserFarewellRequested(
                user_id=str(user_id),
                email=leaving.email,
                email_language=leaving.email_language,
                pseudonym=pseudonym,
            ),
        )
        await emit(
            connection,
            DELETED_EVENT,
            user_id=user_id,
            message=events.UserDeleted(user_id=str(user_id), pseudonym=pseudonym),
        )
    DELETIONS.inc()
    return DeletedAccount(user_id=user_id, pseudonym=pseudonym, sessions_ended=ended)
