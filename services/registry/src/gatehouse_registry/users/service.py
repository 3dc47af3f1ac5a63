"""The registry's users: their copy of identity's data, their status, and reactivation.

- `record_sign_in` is called by the sign-in code after each successful OIDC sign-in.
- Four months without signing in make a user inactive (users.inactivity), after a warning two
  weeks before; an inactive user's roles do not work until one of the people who may decide
  their roles reactivates them, which they can ask for.
- When identity resets the user's devices, every approved role of theirs is suspended until a
  decider of that role unsuspends it (users.inactivity.suspend_after_devices_reset,
  roles.decisions.unsuspend_role).

The SQL is in users.queries.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from gatehouse.events.v1 import registry_events_pb2 as events
from gatehouse_common.db import Database
from gatehouse_registry.access import Actor, UserStatus, load_principal
from gatehouse_registry.audit import service as audit
from gatehouse_registry.checks import clean_optional, optional_reason
from gatehouse_registry.errors import NotFoundError, PermissionDeniedError, SelfDecisionError
from gatehouse_registry.events import emit
from gatehouse_registry.roles import queries as roles
from gatehouse_registry.users import queries
from gatehouse_registry.users.errors import AccountActiveError, UserActiveError
from gatehouse_registry.users.models import InactiveUser, Profile


async def record_sign_in(
    database: Database,
    *,
    user_id: uuid.UUID,
    full_name: str,
    email: str,
    signed_in_at: datetime,
) -> None:
    """Refresh the registry's copy of the user from identity at sign-in. Signing in does not
    reactivate an inactive user: that is their administrators' decision."""
    async with database.connection() as connection:
        await queries.record_sign_in(
            connection,
            user_id=user_id,
            full_name=full_name,
            email=email,
            signed_in_at=signed_in_at,
        )


async def get_profile(database: Database, *, actor: Actor) -> Profile:
    """What "Request authorisation" and "Edit your profile" show: personal information, status
    (and why nothing works when inactive), and every request and role."""
    async with database.transaction() as connection:
        await load_principal(connection, actor)  # creates the user's row at first contact
        row = await queries.user(connection, actor.user_id)
        own_roles = await roles.roles_of_user(connection, actor.user_id)
    return Profile(
        user_id=row.id,
        full_name=row.full_name,
        email=row.email,
        status=UserStatus(row.status),
        last_sign_in_at=row.last_sign_in_at,
        inactivated_at=row.inactivated_at,
        reactivation_requested_at=row.reactivation_requested_at,
        roles=tuple(own_roles),
    )


async def request_reactivation(
    database: Database, *, actor: Actor, message: str | None = None
) -> None:
    """An inactive user asks their administrators or authorities to reactivate them."""
    message = clean_optional(message, field="message", max_length=2000)
    async with database.transaction() as connection:
        principal = await load_principal(connection, actor)
        if principal.status is not UserStatus.INACTIVE:
            raise AccountActiveError("your account is active")
        await queries.set_reactivation_requested(connection, actor.user_id, message=message)
        await emit(
            connection,
            "registry.user.reactivation_requested",
            subject=actor.user_id,
            message=events.UserReactivationRequested(
                user_id=str(actor.user_id), message=message or ""
            ),
        )
        await audit.record(
            connection,
            actor=principal,
            action="user.reactivation_requested",
            subject_type="user",
            subject_id=actor.user_id,
            scope=await queries.organizations_of_approved_roles(connection, actor.user_id),
            target_user_id=actor.user_id,
            reason=message,
        )


async def list_inactive_users(
    database: Database, *, actor: Actor, only_requested: bool = True
) -> list[InactiveUser]:
    async with database.transaction() as connection:
        principal = await load_principal(connection, actor)
        principal.require_active()
        if not principal.admin_of and not principal.authority_ids:
            raise PermissionDeniedError("only administrators and authorities reactivate users")
        return await queries.inactive_users(connection, principal, only_requested=only_requested)


async def reactivate_user(
    database: Database, *, actor: Actor, user_id: uuid.UUID, reason: str | None = None
) -> None:
    reason = optional_reason(reason)
    async with database.transaction() as connection:
        principal = await load_principal(connection, actor)
        principal.require_active()
        if user_id == principal.user_id:
            raise SelfDecisionError("nobody reactivates themselves")
        status = await queries.lock_status(connection, user_id)
        if status is None:
            raise NotFoundError(f"no user {user_id}")
        if not await queries.may_reactivate(connection, principal, user_id):
            raise PermissionDeniedError("only the user's administrators or authorities")
        if status is not UserStatus.INACTIVE:
            raise UserActiveError("the user is active")
        await queries.reactivate(connection, user_id)
        await emit(
            connection,
            "registry.user.reactivated",
            subject=user_id,
            message=events.UserReactivated(
                user_id=str(user_id), decided_by_user_id=str(principal.user_id)
            ),
        )
        await audit.record(
            connection,
            actor=principal,
            action="user.reactivated",
            subject_type="user",
            subject_id=user_id,
            scope=await queries.organizations_of_approved_roles(connection, user_id),
            target_user_id=user_id,
            reason=reason,
        )
