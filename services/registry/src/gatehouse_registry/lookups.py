"""Lookups for other services (over gRPC, with service credentials rather than a user): who
administers an operator, who validates it, who decides a role request. They follow the same rules
as the user-facing checks in access, so a notification never reaches someone who could not act
on it. The SQL is in the capabilities' query modules."""

from __future__ import annotations

import uuid

from gatehouse_common.db import Database
from gatehouse_registry.access import queries as access
from gatehouse_registry.errors import NotFoundError
from gatehouse_registry.operators import queries as operators
from gatehouse_registry.operators.models import OperatorSummary
from gatehouse_registry.roles import queries as roles
from gatehouse_registry.roles.models import RoleRequest
from gatehouse_registry.users import queries as users


async def get_operator_summary(database: Database, *, operator_id: uuid.UUID) -> OperatorSummary:
    async with database.connection() as connection:
        summary = await operators.operator_summary(connection, operator_id)
    if summary is None:
        raise NotFoundError(f"no operator {operator_id}")
    return summary


async def list_operator_administrators(
    database: Database, *, operator_id: uuid.UUID
) -> list[uuid.UUID]:
    async with database.connection() as connection:
        if await operators.operator_summary(connection, operator_id) is None:
            raise NotFoundError(f"no operator {operator_id}")
        return await roles.valid_administrators(connection, operator_id)


async def list_operator_validators(
    database: Database, *, operator_id: uuid.UUID
) -> list[uuid.UUID]:
    """Valid members of the operator's competent authority and of the authorities above it."""
    async with database.connection() as connection:
        summary = await operators.operator_summary(connection, operator_id)
        if summary is None:
            raise NotFoundError(f"no operator {operator_id}")
        if summary.competent_authority_id is None:
            return []
        return await roles.valid_members_of_authority_and_above(
            connection, summary.competent_authority_id
        )


async def get_role_request(database: Database, *, role_request_id: uuid.UUID) -> RoleRequest:
    async with database.connection() as connection:
        role = await roles.load_role(connection, role_request_id)
    if role is None:
        raise NotFoundError(f"no role request {role_request_id}")
    return role


async def list_role_request_deciders(
    database: Database, *, role_request_id: uuid.UUID
) -> list[uuid.UUID]:
    async with database.connection() as connection:
        if not await roles.role_exists(connection, role_request_id):
            raise NotFoundError(f"no role request {role_request_id}")
        return await access.deciders_of_role(connection, role_request_id)


async def list_reactivation_deciders(database: Database, *, user_id: uuid.UUID) -> list[uuid.UUID]:
    async with database.connection() as connection:
        if await users.user(connection, user_id) is None:
            raise NotFoundError(f"no user {user_id}")
        deciders: set[uuid.UUID] = set()
        for role_id in await roles.approved_roles_of_user(connection, user_id):
            deciders.update(await access.deciders_of_role(connection, role_id))
    return sorted(deciders)


async def list_sole_administrations(
    database: Database, *, user_id: uuid.UUID
) -> list[roles.SoleAdministration]:
    """Where the user is the only administrator: identity refuses to delete their account until
    they appoint another one. An unknown user administers nothing."""
    async with database.connection() as connection:
        return await roles.sole_administrations(connection, user_id)
