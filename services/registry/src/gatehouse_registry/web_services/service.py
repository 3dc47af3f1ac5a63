"""What people do with web-service access and machine clients (rules in the package docstring):

- an operator's administrator asks for access (the operator must be valid);
- the operator's competent authority approves, rejects or later revokes it (never its own
  request); revoking the access revokes every client made under it;
- under approved access the operator's administrators create clients, rotate their keys and
  revoke them.

Each decision locks the request (or client) row, writes its outbox event and audit entry in the
same transaction. identity is called *before* the transaction that records a client's creation
or rotation (a refusal leaves nothing behind), and *after* the one that records a revocation
(the registry refuses the client at once; sync.py retries reaching identity).

Slightly over our ~500 lines: access and clients are one workflow here — revoking the access
revokes its clients in the same transaction, and both use the same locking, scope and audit
helpers — so two modules would import each other.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse.events.v1 import registry_events_pb2 as events
from gatehouse_common.db import Database
from gatehouse_registry.access import Actor, Principal, load_principal
from gatehouse_registry.audit import service as audit
from gatehouse_registry.auth.identity_grpc import IdentityUnavailableError
from gatehouse_registry.checks import check_email, clean_text, optional_reason, required_reason
from gatehouse_registry.errors import (
    NotFoundError,
    OrganizationNotValidError,
    PermissionDeniedError,
    Problems,
    RequiredError,
    SelfDecisionError,
    TooLongError,
    UnknownChoiceError,
)
from gatehouse_registry.events import emit
from gatehouse_registry.roles.models import Organization
from gatehouse_registry.roles.queries import get_organization
from gatehouse_registry.web_services import queries
from gatehouse_registry.web_services.errors import (
    AccessNotApprovedError,
    AccessNotPendingError,
    ClientRevokedError,
    InvalidKeysError,
)
from gatehouse_registry.web_services.identity import MachineClientDirectory
from gatehouse_registry.web_services.models import (
    SCOPES,
    AccessRequest,
    AccessStatus,
    AuthMethod,
    ClientStatus,
    CreatedClient,
    MachineClient,
    NewAccessRequest,
)

logger = logging.getLogger(__name__)

MAX_SYSTEM_NAME = 200
MAX_PURPOSE = 2000
MAX_JWKS = 20_000


def checked_request(request: NewAccessRequest) -> NewAccessRequest:
    """The request's fields as stored; every problem at once, each naming its field."""
    problems = Problems()
    system_name = contact_email = purpose = ""
    with problems.check():
        system_name = clean_text(
            request.system_name, field="system_name", max_length=MAX_SYSTEM_NAME
        )
    with problems.check():
        contact_email = check_email(request.contact_email, field="contact_email")
    with problems.check():
        purpose = clean_text(request.purpose, field="purpose", max_length=MAX_PURPOSE)
    problems.raise_any()
    return NewAccessRequest(system_name=system_name, contact_email=contact_email, purpose=purpose)


def checked_scopes(scopes: Sequence[str]) -> list[str]:
    chosen = list(dict.fromkeys(scopes))
    if not chosen:
        raise RequiredError(field="scopes")
    unknown = [scope for scope in chosen if scope not in SCOPES]
    if unknown:
        raise UnknownChoiceError(f"one or more of {', '.join(SCOPES)}", field="scopes")
    return chosen


def checked_jwks(jwks: str | None) -> str:
    """The pasted JWK Set as compact JSON ('' for none: a secret client); identity checks the
    keys themselves (public RSA or EC only, sizes) and names the member at fault."""
    if jwks is None or not jwks.strip():
        return ""
    if len(jwks) > MAX_JWKS:
        raise TooLongError(field="jwks", max_length=MAX_JWKS)
    try:
        parsed = json.loads(jwks)
    except ValueError as error:
        raise InvalidKeysError("not JSON: paste the JWK Set", field="jwks") from error
    return json.dumps(parsed, separators=(",", ":"))


def _scope(operator: Organization) -> list[uuid.UUID | None]:
    return [operator.competent_authority_id]


async def _operator(connection: AsyncConnection, operator_id: uuid.UUID) -> Organization:
    operator = await get_organization(connection, operator_id, lock=True)
    if operator is None or operator.kind.value != "operator":
        raise NotFoundError(f"no operator {operator_id}")
    return operator


async def _principal(connection: AsyncConnection, actor: Actor) -> Principal:
    principal = await load_principal(connection, actor)
    principal.require_active()
    return principal


def _require_admin(principal: Principal, operator_id: uuid.UUID) -> None:
    if operator_id not in principal.admin_of:
        raise PermissionDeniedError("only the operator's administrators")


def _is_authority(principal: Principal, operator: Organization) -> bool:
    return operator.competent_authority_id in principal.authority_ids


async def _record(
    connection: AsyncConnection,
    *,
    principal: Principal,
    operator: Organization,
    event_type: str,
    subject: uuid.UUID,
    message: Any,
    action: str,
    subject_type: str,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """The outbox event and the audit entry of one change, in the caller's transaction."""
    await emit(connection, event_type, subject=subject, message=message)
    await audit.record(
        connection,
        actor=principal,
        action=action,
        subject_type=subject_type,
        subject_id=subject,
        organization_id=operator.id,
        scope=_scope(operator),
        reason=reason,
        details=details,
    )


# --- access -------------------------------------------------------------------------------


async def request_access(
    database: Database, *, actor: Actor, operator_id: uuid.UUID, request: NewAccessRequest
) -> AccessRequest:
    cleaned = checked_request(request)
    async with database.transaction() as connection:
        principal = await _principal(connection, actor)
        operator = await _operator(connection, operator_id)
        _require_admin(principal, operator_id)
        if operator.status != "valid":
            raise OrganizationNotValidError("the operator must be valid first")
        request_id = uuid.uuid4()
        await queries.insert_request(
            connection,
            request_id=request_id,
            operator_id=operator_id,
            requested_by=principal.user_id,
            request=cleaned,
        )
        await _record(
            connection,
            principal=principal,
            operator=operator,
            event_type="registry.web_service_access.requested",
            subject=request_id,
            message=events.WebServiceAccessRequested(
                request_id=str(request_id),
                operator_id=str(operator_id),
                requested_by_user_id=str(principal.user_id),
                system_name=cleaned.system_name,
            ),
            action="web_service_access.requested",
            subject_type="web_service_request",
            details={"system_name": cleaned.system_name},
        )
        found = await queries.get_request(connection, request_id)
    assert found is not None  # noqa: S101 (inserted above)
    return found


async def list_for_operator(
    database: Database, *, actor: Actor, operator_id: uuid.UUID
) -> tuple[list[AccessRequest], list[MachineClient]]:
    """The operator's requests and clients, for its administrators and competent authority."""
    async with database.transaction() as connection:
        principal = await _principal(connection, actor)
        operator = await get_organization(connection, operator_id)
        if operator is None or operator.kind.value != "operator":
            raise NotFoundError(f"no operator {operator_id}")
        if operator_id not in principal.admin_of and not _is_authority(principal, operator):
            raise PermissionDeniedError("only the operator's administrators and its authority")
        return (
            await queries.requests_of_operator(connection, operator_id),
            await queries.clients_of_operator(connection, operator_id),
        )


async def get_request(database: Database, *, actor: Actor, request_id: uuid.UUID) -> AccessRequest:
    async with database.transaction() as connection:
        principal = await _principal(connection, actor)
        found = await queries.get_request(connection, request_id)
        if found is None:
            raise NotFoundError(f"no web-service request {request_id}")
        operator = await get_organization(connection, found.operator_id)
        assert operator is not None  # noqa: S101 (organizations are never deleted)
        if found.operator_id not in principal.admin_of and not _is_authority(principal, operator):
            raise NotFoundError(f"no web-service request {request_id}")
        return found


async def _begin_decision(
    connection: AsyncConnection, actor: Actor, request_id: uuid.UUID
) -> tuple[Principal, AccessRequest, Organization]:
    found = await queries.get_request(connection, request_id)
    if found is None:
        raise NotFoundError(f"no web-service request {request_id}")
    operator = await _operator(connection, found.operator_id)
    principal = await _principal(connection, actor)
    locked = await queries.get_request(connection, request_id, lock=True)
    assert locked is not None  # noqa: S101 (requests are never deleted)
    if not _is_authority(principal, operator):
        raise PermissionDeniedError("only the operator's competent authority decides")
    if locked.requested_by == principal.user_id:
        raise SelfDecisionError("nobody decides about their own request")
    return principal, locked, operator


async def decide_access(
    database: Database,
    *,
    actor: Actor,
    request_id: uuid.UUID,
    approve: bool,
    reason: str | None = None,
) -> AccessRequest:
    """Approve or reject a pending request (a rejection says why)."""
    cleaned = optional_reason(reason) if approve else required_reason(reason)
    async with database.transaction() as connection:
        principal, found, operator = await _begin_decision(connection, actor, request_id)
        if found.status is not AccessStatus.PENDING:
            raise AccessNotPendingError(f"the request is already {found.status.value}")
        if approve and operator.status != "valid":
            raise OrganizationNotValidError("the operator is not valid")
        status = AccessStatus.APPROVED if approve else AccessStatus.REJECTED
        await queries.decide_request(
            connection, request_id, status=status, decided_by=principal.user_id, reason=cleaned
        )
        common = {
            "request_id": str(request_id),
            "operator_id": str(found.operator_id),
            "decided_by_user_id": str(principal.user_id),
            "system_name": found.system_name,
        }
        await _record(
            connection,
            principal=principal,
            operator=operator,
            event_type=f"registry.web_service_access.{status.value}",
            subject=request_id,
            message=events.WebServiceAccessApproved(**common)
            if approve
            else events.WebServiceAccessRejected(**common, reason=cleaned or ""),
            action=f"web_service_access.{status.value}",
            subject_type="web_service_request",
            reason=cleaned,
        )
        decided = await queries.get_request(connection, request_id)
    assert decided is not None  # noqa: S101
    return decided


async def revoke_access(
    database: Database,
    *,
    actor: Actor,
    request_id: uuid.UUID,
    reason: str,
    identity: MachineClientDirectory,
) -> AccessRequest:
    """The competent authority takes approved access away: every client made under it is
    revoked in the same transaction, then removed from identity (retried by sync.py)."""
    cleaned = required_reason(reason)
    async with database.transaction() as connection:
        principal, found, operator = await _begin_decision(connection, actor, request_id)
        if found.status is not AccessStatus.APPROVED:
            raise AccessNotApprovedError(f"the request is {found.status.value}, not approved")
        await queries.decide_request(
            connection,
            request_id,
            status=AccessStatus.REVOKED,
            decided_by=principal.user_id,
            reason=cleaned,
        )
        revoked = await queries.revoke_clients(
            connection, by=principal.user_id, reason=cleaned, request_id=request_id
        )
        await _record(
            connection,
            principal=principal,
            operator=operator,
            event_type="registry.web_service_access.revoked",
            subject=request_id,
            message=events.WebServiceAccessRevoked(
                request_id=str(request_id),
                operator_id=str(found.operator_id),
                decided_by_user_id=str(principal.user_id),
                system_name=found.system_name,
                reason=cleaned,
                revoked_client_ids=revoked,
            ),
            action="web_service_access.revoked",
            subject_type="web_service_request",
            reason=cleaned,
            details={"revoked_client_ids": revoked},
        )
        decided = await queries.get_request(connection, request_id)
    await remove_at_identity(database, identity=identity, client_ids=revoked)
    assert decided is not None  # noqa: S101
    return decided


# --- clients ------------------------------------------------------------------------------


async def create_client(
    database: Database,
    *,
    actor: Actor,
    request_id: uuid.UUID,
    scopes: Sequence[str],
    jwks: str | None,
    identity: MachineClientDirectory,
) -> CreatedClient:
    """A machine client in identity for the request's operator: `private_key_jwt` with the
    pasted public keys, or (no keys) a secret returned here once."""
    problems = Problems()
    chosen: list[str] = []
    jwks_json = ""
    with problems.check():
        chosen = checked_scopes(scopes)
    with problems.check():
        jwks_json = checked_jwks(jwks)
    problems.raise_any()
    async with database.transaction() as connection:
        principal = await _principal(connection, actor)
        found = await queries.get_request(connection, request_id)
        if found is None or found.operator_id not in principal.admin_of:
            raise NotFoundError(f"no web-service request {request_id} of yours")
        if found.status is not AccessStatus.APPROVED:
            raise AccessNotApprovedError("the authority has not approved this access")
    client_id = f"op-{uuid.uuid4().hex[:20]}"
    issued = await identity.create(
        client_id=client_id,
        name=found.system_name,
        operator_id=found.operator_id,
        scopes=chosen,
        jwks_json=jwks_json,
    )
    async with database.transaction() as connection:
        principal = await _principal(connection, actor)
        operator = await _operator(connection, found.operator_id)
        again = await queries.get_request(connection, request_id, lock=True)
        if again is None or again.status is not AccessStatus.APPROVED:
            # Revoked while identity was creating it: do not keep a client of revoked access.
            await identity.delete(client_id=client_id)
            raise AccessNotApprovedError("the access was revoked meanwhile")
        client = await queries.insert_client(
            connection,
            client_id=client_id,
            operator_id=found.operator_id,
            request_id=request_id,
            auth_method=AuthMethod(issued.auth_method),
            scopes=chosen,
            created_by=principal.user_id,
        )
        await _record(
            connection,
            principal=principal,
            operator=operator,
            event_type="registry.machine_client.created",
            subject=request_id,
            message=events.MachineClientCreated(
                client_id=client_id,
                operator_id=str(found.operator_id),
                request_id=str(request_id),
                created_by_user_id=str(principal.user_id),
                auth_method=issued.auth_method,
            ),
            action="machine_client.created",
            subject_type="web_service_request",
            details={"client_id": client_id, "auth_method": issued.auth_method, "scopes": chosen},
        )
    return CreatedClient(client=client, client_secret=issued.client_secret)


async def _client_for_admin(
    connection: AsyncConnection, principal: Principal, client_id: str
) -> tuple[MachineClient, Organization]:
    client = await queries.get_client(connection, client_id, lock=True)
    if client is None or client.operator_id not in principal.admin_of:
        raise NotFoundError(f"no machine client {client_id} of yours")
    operator = await get_organization(connection, client.operator_id)
    assert operator is not None  # noqa: S101
    return client, operator


async def rotate_client(
    database: Database,
    *,
    actor: Actor,
    client_id: str,
    jwks: str | None,
    identity: MachineClientDirectory,
) -> str | None:
    """New keys (or a new secret, returned once) for an active client."""
    jwks_json = checked_jwks(jwks)
    async with database.transaction() as connection:
        principal = await _principal(connection, actor)
        client, _operator_row = await _client_for_admin(connection, principal, client_id)
        if client.status is not ClientStatus.ACTIVE:
            raise ClientRevokedError("the client is revoked")
    secret = await identity.replace_keys(client_id=client_id, jwks_json=jwks_json)
    async with database.transaction() as connection:
        principal = await _principal(connection, actor)
        client, operator = await _client_for_admin(connection, principal, client_id)
        await queries.mark_rotated(connection, client_id, by=principal.user_id)
        await _record(
            connection,
            principal=principal,
            operator=operator,
            event_type="registry.machine_client.rotated",
            subject=client.request_id,
            message=events.MachineClientRotated(
                client_id=client_id,
                operator_id=str(client.operator_id),
                rotated_by_user_id=str(principal.user_id),
            ),
            action="machine_client.rotated",
            subject_type="web_service_request",
            details={"client_id": client_id},
        )
    return secret


async def revoke_client(
    database: Database,
    *,
    actor: Actor,
    client_id: str,
    reason: str,
    identity: MachineClientDirectory,
) -> MachineClient:
    cleaned = required_reason(reason)
    async with database.transaction() as connection:
        principal = await _principal(connection, actor)
        client, operator = await _client_for_admin(connection, principal, client_id)
        if client.status is not ClientStatus.ACTIVE:
            raise ClientRevokedError("the client is already revoked")
        await queries.revoke_clients(
            connection, by=principal.user_id, reason=cleaned, client_id=client_id
        )
        await _record(
            connection,
            principal=principal,
            operator=operator,
            event_type="registry.machine_client.revoked",
            subject=client.request_id,
            message=events.MachineClientRevoked(
                client_id=client_id,
                operator_id=str(client.operator_id),
                revoked_by_user_id=str(principal.user_id),
                reason=cleaned,
            ),
            action="machine_client.revoked",
            subject_type="web_service_request",
            reason=cleaned,
            details={"client_id": client_id},
        )
        revoked = await queries.get_client(connection, client_id)
    await remove_at_identity(database, identity=identity, client_ids=[client_id])
    assert revoked is not None  # noqa: S101
    return revoked


async def remove_at_identity(
    database: Database, *, identity: MachineClientDirectory, client_ids: Sequence[str]
) -> list[str]:
    """Tell identity to remove revoked clients (idempotent there); the ones it confirmed are
    marked, the others left for sync.py's next round."""
    removed = []
    for client_id in client_ids:
        try:
            await identity.delete(client_id=client_id)
        except IdentityUnavailableError as error:
            logger.warning(
                "identity did not remove a revoked machine client yet; retrying later",
                extra={"client_id": client_id, "error": str(error)},
            )
            continue
        removed.append(client_id)
    async with database.transaction() as connection:
        await queries.mark_removed_at_identity(connection, removed)
    return removed


async def sync_revocations(database: Database, *, identity: MachineClientDirectory) -> list[str]:
    """One round of the retry job: the revoked clients identity has not confirmed removing."""
    async with database.transaction() as connection:
        pending = await queries.revoked_not_removed(connection)
    return await remove_at_identity(database, identity=identity, client_ids=pending)
