"""FastAPI dependencies every registry router uses: the process context and the signed-in user."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from gatehouse_common.db import Database
from gatehouse_registry.auth.dependencies import RegistryUser, current_user
from gatehouse_registry.context import RegistryContext


def get_context(request: Request) -> RegistryContext:
    context: RegistryContext = request.app.state.context
    return context


def get_database(request: Request) -> Database:
    return get_context(request).database


Context = Annotated[RegistryContext, Depends(get_context)]
DatabaseIn = Annotated[Database, Depends(get_database)]
CurrentUser = Annotated[RegistryUser, Depends(current_user)]

Responses = dict[int | str, dict[str, Any]]
# Answers every authenticated route may give besides its own.
AUTH_RESPONSES: Responses = {
    401: {"description": "Not signed in"},
    403: {"description": "Signed in without multi-factor, inactive, or not allowed"},
}
INVALID: Responses = {422: {"description": "A field is missing or invalid (`detail[].loc`)"}}
CONFLICT: Responses = {409: {"description": "The registry's state refuses it (`code` says why)"}}
NOT_FOUND: Responses = {404: {"description": "Unknown id"}}
# A decision on an existing thing (approve, validate, …), and one that must say why (reject, …).
DECISION_RESPONSES: Responses = {**NOT_FOUND, **CONFLICT}
REASONED_DECISION_RESPONSES: Responses = {**NOT_FOUND, **CONFLICT, **INVALID}
