"""The machine API (`/api/v1/machine/operators/{operator_id}…`): what an operator's machine
client reads with its client_credentials token (web_services.machine says who may read what).
A missing scope answers 403 with `WWW-Authenticate: Bearer error="insufficient_scope"`
(RFC 6750 §3.1)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, HTTPException, status

from gatehouse_registry.auth.access_tokens import MachineToken
from gatehouse_registry.auth.dependencies import CurrentMachine
from gatehouse_registry.dependencies import NOT_FOUND, DatabaseIn
from gatehouse_registry.operators.schemas import (
    ActivityOut,
    OperatorOut,
    activity_out,
    operator_out,
)
from gatehouse_registry.roles.schemas import RoleRequestOut, role_out
from gatehouse_registry.web_services import machine
from gatehouse_registry.web_services.errors import InsufficientScopeError
from gatehouse_registry.web_services.models import MachineCaller

router = APIRouter(
    prefix="/api/v1/machine",
    tags=["machine API"],
    responses={
        401: {"description": "No valid machine token, or the client is revoked"},
        403: {"description": "The token lacks the scope (insufficient_scope)"},
        **NOT_FOUND,
    },
)


def _caller(token: MachineToken) -> MachineCaller:
    return MachineCaller(
        client_id=token.client_id, operator_id=token.operator_id, scopes=token.scopes
    )


def _insufficient(error: InsufficientScopeError, scope: str) -> HTTPException:
    return HTTPException(
        status.HTTP_403_FORBIDDEN,
        detail={"code": "insufficient_scope", "detail": error.message},
        headers={
            "WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}"',
        },
    )


@router.get("/operators/{operator_id}", summary="The client's operator (operators.read)")
async def get_operator(
    operator_id: uuid.UUID, database: DatabaseIn, token: CurrentMachine
) -> OperatorOut:
    try:
        found = await machine.read_operator(
            database, caller=_caller(token), operator_id=operator_id
        )
    except InsufficientScopeError as error:
        raise _insufficient(error, "operators.read") from error
    return operator_out(found)


@router.get(
    "/operators/{operator_id}/activities", summary="The operator's activities (operators.read)"
)
async def list_activities(
    operator_id: uuid.UUID, database: DatabaseIn, token: CurrentMachine
) -> list[ActivityOut]:
    try:
        found = await machine.list_activities(
            database, caller=_caller(token), operator_id=operator_id
        )
    except InsufficientScopeError as error:
        raise _insufficient(error, "operators.read") from error
    return [activity_out(activity) for activity in found]


@router.get(
    "/operators/{operator_id}/users",
    summary="The operator's users and their approved roles (roles.read)",
)
async def list_users(
    operator_id: uuid.UUID, database: DatabaseIn, token: CurrentMachine
) -> list[RoleRequestOut]:
    try:
        found = await machine.list_users(database, caller=_caller(token), operator_id=operator_id)
    except InsufficientScopeError as error:
        raise _insufficient(error, "roles.read") from error
    return [role_out(role) for role in found]
