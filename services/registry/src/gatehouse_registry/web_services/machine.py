"""What a machine client reads through the machine API: its own operator's data (scope
`operators.read`), the operator's users and their roles (`roles.read`), its activities
(`operators.read`). Every call, answered or refused, is in the audit trail with the client id
(readable by the operator's administrators and its competent authority).

Refusals, in this order: a client that is revoked, whose access is no longer approved or whose
operator is not valid (ClientNotActiveError: 401, as for an invalid token); a token without the
scope (InsufficientScopeError: 403); another operator (NotFoundError: 404, saying nothing about
whether it exists).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_common.db import Database
from gatehouse_common.errors import ErrorKind
from gatehouse_registry.audit import service as audit
from gatehouse_registry.errors import NotFoundError, RegistryError
from gatehouse_registry.operators import queries as operator_queries
from gatehouse_registry.operators.models import Activity, Operator
from gatehouse_registry.roles import queries as role_queries
from gatehouse_registry.roles.models import RoleRequest, RoleStatus
from gatehouse_registry.web_services import queries
from gatehouse_registry.web_services.errors import InsufficientScopeError
from gatehouse_registry.web_services.models import MachineCaller

T = TypeVar("T")


class ClientNotActiveError(RegistryError):
    code = "machine_client_not_active"
    kind = ErrorKind.UNAUTHENTICATED


def actor_name(caller: MachineCaller) -> str:
    return f"machine client {caller.client_id}"


async def _audit(
    connection: AsyncConnection,
    caller: MachineCaller,
    *,
    what: str,
    operator_id: uuid.UUID,
    refused: str | None = None,
) -> None:
    await audit.record(
        connection,
        actor=None,
        actor_name=actor_name(caller),
        action="machine.refused" if refused else "machine.read",
        subject_type="operator",
        subject_id=operator_id,
        organization_id=caller.operator_id,
        details={"client_id": caller.client_id, "read": what}
        | ({"refused": refused} if refused else {}),
    )


async def _read(
    database: Database,
    caller: MachineCaller,
    *,
    operator_id: uuid.UUID,
    scope: str,
    what: str,
    read: Callable[[AsyncConnection], Awaitable[T]],
) -> T:
    try:
        async with database.transaction() as connection:
            if not await queries.active_client_of(connection, caller.client_id, caller.operator_id):
                raise ClientNotActiveError("the client is revoked or its access is not approved")
            if scope not in caller.scopes:
                raise InsufficientScopeError(f"the token lacks the scope {scope}")
            if operator_id != caller.operator_id:
                raise NotFoundError(f"no operator {operator_id} for this client")
            answer = await read(connection)
            await _audit(connection, caller, what=what, operator_id=operator_id)
            return answer
    except RegistryError as error:
        async with database.transaction() as connection:
            await _audit(connection, caller, what=what, operator_id=operator_id, refused=error.code)
        raise


async def read_operator(
    database: Database, *, caller: MachineCaller, operator_id: uuid.UUID, what: str = "operator"
) -> Operator:
    async def read(connection: AsyncConnection) -> Operator:
        operator = await operator_queries.load_operator(connection, operator_id)
        if operator is None:
            raise NotFoundError(f"no operator {operator_id}")
        return operator

    return await _read(
        database,
        caller,
        operator_id=operator_id,
        scope="operators.read",
        what=what,
        read=read,
    )


async def list_activities(
    database: Database, *, caller: MachineCaller, operator_id: uuid.UUID
) -> list[Activity]:
    operator = await read_operator(
        database, caller=caller, operator_id=operator_id, what="activities"
    )
    return list(operator.activities)


async def list_users(
    database: Database, *, caller: MachineCaller, operator_id: uuid.UUID
) -> list[RoleRequest]:
    async def read(connection: AsyncConnection) -> list[RoleRequest]:
        return await role_queries.roles_of_organization(
            connection, operator_id, status=RoleStatus.APPROVED
        )

    return await _read(
        database, caller, operator_id=operator_id, scope="roles.read", what="users", read=read
    )
