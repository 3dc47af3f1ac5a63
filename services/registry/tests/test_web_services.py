"""Web-service access and machine clients in the registry's own terms (issue 19): the events
and audit entries each step writes, and what happens when identity cannot be reached — the
client is refused by the registry at once and removed from identity by the retry job later."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from gatehouse_registry.auth.dependencies import RegistryUser
from gatehouse_registry.auth.identity_grpc import IdentityUnavailableError
from gatehouse_registry.operators import decisions as operator_decisions
from gatehouse_registry.roles import decisions
from gatehouse_registry.web_services import machine, service
from gatehouse_registry.web_services.machine import ClientNotActiveError
from gatehouse_registry.web_services.models import MachineCaller, NewAccessRequest

from .conftest import FAKE_IDENTITY, SJV_IEK, FakeIdentity


class DownIdentity(FakeIdentity):
    """identity unreachable: every call fails as the gRPC client reports it."""

    def __init__(self) -> None:
        self.deletes: list[str] = []

    async def delete(self, **fields: Any) -> None:
        self.deletes.append(fields["client_id"])
        raise IdentityUnavailableError("UNAVAILABLE")


class RecordingIdentity(FakeIdentity):
    def __init__(self) -> None:
        self.deleted: list[str] = []

    async def delete(self, **fields: Any) -> None:
        self.deleted.append(fields["client_id"])


@pytest.fixture
async def approved(
    db: Any, make_user: Any, make_admin_of: Any, create_operator: Any
) -> tuple[RegistryUser, RegistryUser, uuid.UUID, uuid.UUID]:
    """(administrator, authority, operator id, approved request id)."""
    authority = await make_admin_of(SJV_IEK, "Ingrid Inom")
    admin = await make_user("Anna A")
    created = await create_operator(admin, name="Alfa Frukt AB")
    await operator_decisions.validate_operator(db, actor=authority, operator_id=created.operator.id)
    await decisions.approve_role_request(
        db, actor=authority, role_request_id=created.role_request_id
    )
    asked = await service.request_access(
        db,
        actor=admin,
        operator_id=created.operator.id,
        request=NewAccessRequest(
            system_name="  Affärs   systemet ", contact_email="it@example.se", purpose="Read"
        ),
    )
    assert asked.system_name == "Affärs systemet"
    await service.decide_access(db, actor=authority, request_id=asked.id, approve=True)
    return admin, authority, created.operator.id, asked.id


async def test_each_step_writes_its_event_and_audit_entry(db: Any, approved: Any) -> None:
    admin, authority, operator_id, request_id = approved
    created = await service.create_client(
        db,
        actor=admin,
        request_id=request_id,
        scopes=["roles.read", "roles.read"],
        jwks=None,
        identity=FAKE_IDENTITY,
    )
    assert created.client.scopes == ("roles.read",)
    await service.revoke_access(
        db, actor=authority, request_id=request_id, reason="Ended", identity=FAKE_IDENTITY
    )
    events = [
        row["event_type"]
        for row in await db.fetch(
            "SELECT event_type FROM outbox_events WHERE event_type LIKE 'registry.%'"
            " AND (event_type LIKE '%web_service%' OR event_type LIKE '%machine_client%')"
            " ORDER BY created_at"
        )
    ]
    assert events == [
        "registry.web_service_access.requested",
        "registry.web_service_access.approved",
        "registry.machine_client.created",
        "registry.web_service_access.revoked",
    ]
    actions = [
        row["action"]
        for row in await db.fetch(
            "SELECT action FROM audit_log WHERE organization_id = $1 AND action LIKE '%.%'"
            " AND (action LIKE 'web_service%' OR action LIKE 'machine%') ORDER BY id",
            operator_id,
        )
    ]
    assert actions == [
        "web_service_access.requested",
        "web_service_access.approved",
        "machine_client.created",
        "web_service_access.revoked",
    ]
    # No secret in any event or audit entry.
    secret = created.client_secret
    assert secret
    assert not await db.fetchval(
        "SELECT count(*) FROM audit_log WHERE details::text LIKE '%' || $1 || '%'", secret
    )


async def test_identity_down_the_registry_refuses_at_once_and_the_job_retries(
    db: Any, approved: Any
) -> None:
    admin, _, operator_id, request_id = approved
    created = await service.create_client(
        db,
        actor=admin,
        request_id=request_id,
        scopes=["operators.read"],
        jwks=None,
        identity=FAKE_IDENTITY,
    )
    client_id = created.client.client_id
    caller = MachineCaller(
        client_id=client_id, operator_id=operator_id, scopes=frozenset({"operators.read"})
    )
    assert (await machine.read_operator(db, caller=caller, operator_id=operator_id)).id == (
        operator_id
    )

    down = DownIdentity()
    revoked = await service.revoke_client(
        db, actor=admin, client_id=client_id, reason="Key lost", identity=down
    )
    assert revoked.status.value == "revoked"
    assert down.deletes == [client_id]
    with pytest.raises(ClientNotActiveError):
        await machine.read_operator(db, caller=caller, operator_id=operator_id)
    unconfirmed = "SELECT removed_at_identity FROM machine_clients WHERE client_id = $1"
    assert await db.fetchval(unconfirmed, client_id) is None

    # identity still down: the job tries again and leaves it for the next round.
    assert await service.sync_revocations(db, identity=down) == []
    assert down.deletes == [client_id, client_id]
    # identity back: removed there, and not asked again.
    back = RecordingIdentity()
    assert await service.sync_revocations(db, identity=back) == [client_id]
    assert back.deleted == [client_id]
    assert await db.fetchval(unconfirmed, client_id) is not None
    assert await service.sync_revocations(db, identity=back) == []
