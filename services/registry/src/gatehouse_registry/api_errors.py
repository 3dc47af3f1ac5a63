"""How the JSON API answers the registry's domain errors: the status of the error's kind and a body
shaped like FastAPI's own 422s when fields are at fault (`detail[].loc` names each, with its
`code`), `{"code", "detail"}` otherwise — so a client can tell "last administrator" from "already
decided" without parsing prose."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from gatehouse_common.errors import error_body, field_location, http_status
from gatehouse_registry.errors import InvalidFieldsError, RegistryError


async def registry_error_handler(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RegistryError)  # noqa: S101  (registered for RegistryError only)
    body = error_body(error)
    if isinstance(error, InvalidFieldsError):
        body = {
            "code": error.code,
            "detail": [
                {
                    "loc": field_location(problem.field or ""),
                    "msg": problem.message,
                    "type": "value_error",
                    "code": problem.code,
                    **problem.params,
                }
                for problem in error.problems
            ],
        }
    return JSONResponse(body, status_code=http_status(error))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RegistryError, registry_error_handler)
