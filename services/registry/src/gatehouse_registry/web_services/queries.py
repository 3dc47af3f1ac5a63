"""The SQL of web-service access and machine clients. No rule is checked here: service.py and
machine.py decide, in their own transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_registry.tables import machine_clients, organizations, web_service_requests
from gatehouse_registry.web_services.models import (
    AccessRequest,
    AccessStatus,
    AuthMethod,
    ClientStatus,
    MachineClient,
    NewAccessRequest,
)

MAX_LISTED = 500


def _request_query() -> Any:
    return select(
        web_service_requests,
        organizations.c.name.label("operator_name"),
        organizations.c.competent_authority_id,
    ).select_from(
        web_service_requests.join(
            organizations, organizations.c.id == web_service_requests.c.organization_id
        )
    )


def _request(row: Any) -> AccessRequest:
    return AccessRequest(
        id=row.id,
        operator_id=row.organization_id,
        operator_name=row.operator_name,
        competent_authority_id=row.competent_authority_id,
        requested_by=row.requested_by,
        system_name=row.system_name,
        contact_email=row.contact_email,
        purpose=row.purpose,
        status=AccessStatus(row.status),
        requested_at=row.requested_at,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        decision_reason=row.decision_reason,
    )


def _client(row: Any) -> MachineClient:
    return MachineClient(
        client_id=row.client_id,
        operator_id=row.organization_id,
        request_id=row.request_id,
        auth_method=AuthMethod(row.auth_method),
        scopes=tuple(row.scopes),
        status=ClientStatus(row.status),
        created_by=row.created_by,
        created_at=row.created_at,
        rotated_at=row.rotated_at,
        revoked_at=row.revoked_at,
        revocation_reason=row.revocation_reason,
    )


async def insert_request(
    connection: AsyncConnection,
    *,
    request_id: uuid.UUID,
    operator_id: uuid.UUID,
    requested_by: uuid.UUID,
    request: NewAccessRequest,
) -> None:
    await connection.execute(
        insert(web_service_requests).values(
            id=request_id,
            organization_id=operator_id,
            requested_by=requested_by,
            system_name=request.system_name,
            contact_email=request.contact_email,
            purpose=request.purpose,
            status=AccessStatus.PENDING.value,
        )
    )


async def get_request(
    connection: AsyncConnection, request_id: uuid.UUID, *, lock: bool = False
) -> AccessRequest | None:
    query = _request_query().where(web_service_requests.c.id == request_id)
    if lock:
        query = query.with_for_update(of=web_service_requests)
    row = (await connection.execute(query)).first()
    return _request(row) if row else None


async def requests_of_operator(
    connection: AsyncConnection, operator_id: uuid.UUID
) -> list[AccessRequest]:
    query = (
        _request_query()
        .where(web_service_requests.c.organization_id == operator_id)
        .order_by(web_service_requests.c.requested_at.desc())
        .limit(MAX_LISTED)
    )
    return [_request(row) for row in await connection.execute(query)]


async def decide_request(
    connection: AsyncConnection,
    request_id: uuid.UUID,
    *,
    status: AccessStatus,
    decided_by: uuid.UUID,
    reason: str | None,
) -> None:
    await connection.execute(
        update(web_service_requests)
        .where(web_service_requests.c.id == request_id)
        .values(
            status=status.value,
            decided_by=decided_by,
            decided_at=func.now(),
            decision_reason=reason,
        )
    )


async def insert_client(
    connection: AsyncConnection,
    *,
    client_id: str,
    operator_id: uuid.UUID,
    request_id: uuid.UUID,
    auth_method: AuthMethod,
    scopes: Sequence[str],
    created_by: uuid.UUID,
) -> MachineClient:
    row = (
        await connection.execute(
            insert(machine_clients)
            .values(
                client_id=client_id,
                organization_id=operator_id,
                request_id=request_id,
                auth_method=auth_method.value,
                scopes=list(scopes),
                status=ClientStatus.ACTIVE.value,
                created_by=created_by,
            )
            .returning(machine_clients)
        )
    ).one()
    return _client(row)


async def get_client(
    connection: AsyncConnection, client_id: str, *, lock: bool = False
) -> MachineClient | None:
    query = select(machine_clients).where(machine_clients.c.client_id == client_id)
    row = (await connection.execute(query.with_for_update() if lock else query)).first()
    return _client(row) if row else None


async def clients_of_operator(
    connection: AsyncConnection, operator_id: uuid.UUID
) -> list[MachineClient]:
    query = (
        select(machine_clients)
        .where(machine_clients.c.organization_id == operator_id)
        .order_by(machine_clients.c.created_at.desc())
        .limit(MAX_LISTED)
    )
    return [_client(row) for row in await connection.execute(query)]


async def mark_rotated(connection: AsyncConnection, client_id: str, *, by: uuid.UUID) -> None:
    await connection.execute(
        update(machine_clients)
        .where(machine_clients.c.client_id == client_id)
        .values(rotated_by=by, rotated_at=func.now())
    )


async def revoke_clients(
    connection: AsyncConnection,
    *,
    by: uuid.UUID,
    reason: str,
    client_id: str | None = None,
    request_id: uuid.UUID | None = None,
) -> list[str]:
    """Revoke the active client `client_id`, or every active one made under `request_id`."""
    condition = (
        machine_clients.c.client_id == client_id
        if client_id is not None
        else machine_clients.c.request_id == request_id
    )
    rows = await connection.execute(
        update(machine_clients)
        .where(condition, machine_clients.c.status == ClientStatus.ACTIVE.value)
        .values(
            status=ClientStatus.REVOKED.value,
            revoked_by=by,
            revoked_at=func.now(),
            revocation_reason=reason,
        )
        .returning(machine_clients.c.client_id)
    )
    return sorted(row.client_id for row in rows)


async def revoked_not_removed(connection: AsyncConnection, *, limit: int = 100) -> list[str]:
    """Revoked clients identity has not confirmed removing yet, oldest first."""
    rows = await connection.execute(
        select(machine_clients.c.client_id)
        .where(
            machine_clients.c.status == ClientStatus.REVOKED.value,
            machine_clients.c.removed_at_identity.is_(None),
        )
        .order_by(machine_clients.c.revoked_at)
        .limit(limit)
    )
    return [row.client_id for row in rows]


async def mark_removed_at_identity(connection: AsyncConnection, client_ids: Sequence[str]) -> None:
    if client_ids:
        await connection.execute(
            update(machine_clients)
            .where(machine_clients.c.client_id.in_(list(client_ids)))
            .values(removed_at_identity=func.now())
        )


async def active_client_of(
    connection: AsyncConnection, client_id: str, operator_id: uuid.UUID
) -> bool:
    """The client is active, its access approved and its operator valid."""
    found = await connection.scalar(
        select(func.count())
        .select_from(
            machine_clients.join(
                web_service_requests,
                web_service_requests.c.id == machine_clients.c.request_id,
            ).join(organizations, organizations.c.id == machine_clients.c.organization_id)
        )
        .where(
            machine_clients.c.client_id == client_id,
            machine_clients.c.organization_id == operator_id,
            machine_clients.c.status == ClientStatus.ACTIVE.value,
            web_service_requests.c.status == AccessStatus.APPROVED.value,
            organizations.c.status == "valid",
        )
    )
    return bool(found)
