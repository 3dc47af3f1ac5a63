"""identity.user.deleted in the registry (users/deletion.py), and the question identity asks
before deleting (RoleService.ListSoleAdministrations's lookup): the last administrator is named,
an administrator with a colleague is not; once deleted, the user's roles end, their applications'
contacts and their name are gone, the audit trail names them by the pseudonym wherever they
acted, a redelivery changes nothing, and the trail is still append-only for anything else."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import pytest

from gatehouse_registry import lookups
from gatehouse_registry.operators import decisions as operator_decisions
from gatehouse_registry.roles import decisions
from gatehouse_registry.roles import service as roles
from gatehouse_registry.roles.models import Application
from gatehouse_registry.users.deletion import forget_deleted_user

SJV_IEK = "SE-SJV-IEK"  # Jordbruksverket, import control (reference data)

PSEUDONYM = "deleted-user-3f2a9c0d41b7"


async def _valid_operator_with_admin(
    db: Any, make_user: Any, make_admin_of: Any, create_operator: Any
) -> tuple[Any, Any, Any]:
    authority = await make_admin_of(SJV_IEK, "Ingrid Inspektör")
    admin = await make_user("Astrid Admin")
    created = await create_operator(admin, name="Raderings Frukt AB")
    await operator_decisions.validate_operator(db, actor=authority, operator_id=created.operator.id)
    await decisions.approve_role_request(
        db, actor=authority, role_request_id=created.role_request_id
    )
    return authority, admin, created


async def test_the_last_administrator_is_named_until_there_is_another(
    db: Any, make_user: Any, make_admin_of: Any, create_operator: Any
) -> None:
    _, admin, created = await _valid_operator_with_admin(
        db, make_user, make_admin_of, create_operator
    )
    alone = await lookups.list_sole_administrations(db, user_id=admin.user_id)
    assert [a.organization_name for a in alone] == ["Raderings Frukt AB"]
    assert await lookups.list_sole_administrations(db, user_id=uuid.uuid4()) == []

    colleague = await make_user("Bertil Kollega")
    request = await roles.request_role(
        db, actor=colleague, organization_id=created.operator.id, application=Application()
    )
    await decisions.approve_role_request(db, actor=admin, role_request_id=request.id)
    await decisions.grant_admin(db, actor=admin, role_request_id=request.id)
    assert await lookups.list_sole_administrations(db, user_id=admin.user_id) == []


async def test_a_deleted_user_keeps_a_pseudonym_and_no_role(
    db: Any, make_user: Any, make_admin_of: Any, create_operator: Any
) -> None:
    _, admin, created = await _valid_operator_with_admin(
        db, make_user, make_admin_of, create_operator
    )
    colleague = await make_user("Cecilia Contact")
    pending = await roles.request_role(
        db,
        actor=colleague,
        organization_id=created.operator.id,
        application=Application(message="Ring mig", email="cecilia@example.se", phone="+4670111"),
    )
    await decisions.approve_role_request(db, actor=admin, role_request_id=pending.id)
    event_id = uuid.uuid4()

    done = await forget_deleted_user(
        db, user_id=admin.user_id, pseudonym=PSEUDONYM, event_id=event_id
    )

    assert done is not None
    assert done.known
    assert done.roles_ended == 1
    row = await db.fetchrow(
        "SELECT full_name, email, status FROM users WHERE id = $1", admin.user_id
    )
    assert dict(row) == {"full_name": PSEUDONYM, "email": "", "status": "inactive"}
    role = await db.fetchrow(
        "SELECT status, is_admin, message, contact_email, contact_phone FROM roles"
        " WHERE user_id = $1",
        admin.user_id,
    )
    assert dict(role) == {
        "status": "revoked",
        "is_admin": False,
        "message": None,
        "contact_email": None,
        "contact_phone": None,
    }
    names = await db.fetch(
        "SELECT DISTINCT actor_name FROM audit_log WHERE actor_user_id = $1", admin.user_id
    )
    assert [r["actor_name"] for r in names] == [PSEUDONYM]
    trail = await db.fetch(
        "SELECT actor_name, details FROM audit_log WHERE action = 'role.ended'"
        " AND target_user_id = $1",
        admin.user_id,
    )
    assert len(trail) == 1
    assert (
        await db.fetchval("SELECT count(*) FROM audit_log WHERE actor_name = 'Astrid Admin'") == 0
    )
    # The colleague's own application is theirs: untouched.
    assert await db.fetchval("SELECT contact_phone FROM roles WHERE id = $1", pending.id)

    again = await forget_deleted_user(
        db, user_id=admin.user_id, pseudonym=PSEUDONYM, event_id=event_id
    )
    assert again is None


async def test_the_audit_trail_stays_append_only_for_everything_else(
    db: Any, make_user: Any, make_admin_of: Any, create_operator: Any
) -> None:
    _, admin, _ = await _valid_operator_with_admin(db, make_user, make_admin_of, create_operator)
    # Even in a transaction pseudonymising someone else, the admin's entries cannot change.
    await db.execute("SELECT set_config('gatehouse.pseudonymising', $1, true)", str(uuid.uuid4()))
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await db.execute(
            "UPDATE audit_log SET actor_name = 'someone' WHERE actor_user_id = $1", admin.user_id
        )


async def test_an_organization_left_without_administrator_is_recorded_and_told(
    db: Any, make_user: Any, make_admin_of: Any, create_operator: Any
) -> None:
    """Identity asked before deleting, but a colleague administrator lost their rights before
    the event came (the race): the organization has no administrator now. The registry says so
    in its audit trail and by an event the notifier turns into an e-mail to the organization's
    competent authority (who may appoint one); an organization with another administrator is
    neither."""
    _, admin, created = await _valid_operator_with_admin(
        db, make_user, make_admin_of, create_operator
    )
    _, other_admin, other = await _valid_operator_with_admin(
        db, make_user, make_admin_of, create_operator
    )
    colleague = await make_user("Bertil Kollega")
    request = await roles.request_role(
        db, actor=colleague, organization_id=other.operator.id, application=Application()
    )
    await decisions.approve_role_request(db, actor=other_admin, role_request_id=request.id)
    await decisions.grant_admin(db, actor=other_admin, role_request_id=request.id)

    for user in (admin, other_admin):
        await forget_deleted_user(
            db, user_id=user.user_id, pseudonym=PSEUDONYM, event_id=uuid.uuid4()
        )

    trail = await db.fetch(
        "SELECT organization_id, subject_id, details FROM audit_log"
        " WHERE action = 'organization.without_administrator'"
    )
    assert [(r["organization_id"], r["subject_id"]) for r in trail] == [
        (created.operator.id, created.operator.id)
    ]
    events = await db.fetch(
        "SELECT subject, payload FROM outbox_events"
        " WHERE event_type = 'registry.organization.without_administrator'"
    )
    assert [r["subject"] for r in events] == [str(created.operator.id)]
