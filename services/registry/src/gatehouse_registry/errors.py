"""Domain errors of the registry and their HTTP translation.

Services raise these; the JSON API answers them with a status and a body shaped like FastAPI's own
422s when a field is at fault (`detail[0].loc` names it), and `{"detail", "code"}` otherwise, so a
client can tell "last administrator" from "already decided" without parsing prose.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse


class RegistryError(Exception):
    """Base of every registry domain error. `field` names the input at fault, when there is one."""

    code = "registry_error"
    http_status = status.HTTP_400_BAD_REQUEST

    def __init__(self, message: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra


class InvalidInputError(RegistryError):
    code = "invalid_input"
    http_status = status.HTTP_422_UNPROCESSABLE_CONTENT


class NotFoundError(RegistryError):
    code = "not_found"
    http_status = status.HTTP_404_NOT_FOUND


class PermissionDeniedError(RegistryError):
    """The actor is known but their valid roles do not allow this."""

    code = "permission_denied"
    http_status = status.HTTP_403_FORBIDDEN


class MultiFactorRequiredError(PermissionDeniedError):
    code = "multi_factor_required"


class InactiveUserError(PermissionDeniedError):
    """Four months without signing in: nothing works until an administrator reactivates."""

    code = "user_inactive"


class SelfDecisionError(PermissionDeniedError):
    code = "self_decision"


class ConflictError(RegistryError):
    """The request is well-formed but the registry's current state refuses it."""

    code = "conflict"
    http_status = status.HTTP_409_CONFLICT


class DuplicateIdentifierError(ConflictError):
    code = "duplicate_identifier"


class OrganizationNotValidError(ConflictError):
    code = "organization_not_valid"


class LastAdministratorError(ConflictError):
    code = "last_administrator"


class AlreadyDecidedError(ConflictError):
    code = "already_decided"


class DuplicateRequestError(ConflictError):
    code = "duplicate_request"


async def registry_error_handler(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RegistryError)  # noqa: S101  (registered for RegistryError only)
    body: dict[str, Any] = {"code": error.code, **error.extra}
    if error.field is None:
        body["detail"] = error.message
    else:
        parts = error.field.replace("]", "").replace("[", ".").split(".")
        location: list[str | int] = ["body", *(int(p) if p.isdigit() else p for p in parts)]
        body["detail"] = [{"loc": location, "msg": error.message, "type": "value_error"}]
    return JSONResponse(body, status_code=error.http_status)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RegistryError, registry_error_handler)
