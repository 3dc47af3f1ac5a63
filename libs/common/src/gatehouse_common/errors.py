"""The one shape of a domain error in every service: a stable `code`, a message, the field at fault.

Each capability subclasses `DomainError` beside its service module (`accounts/errors.py`,
`operators/errors.py`, …) and sets `code` and `kind`. Services raise them; only transports decide
what they become on the wire:

- HTTP: `http_status(error)` (the kind → 4xx) and `error_body(error)` — shaped like FastAPI's own
  422s when a field is at fault (`detail[0].loc` names it), `{"code", "detail"}` otherwise;
- gRPC: `grpc_status(error)` (the kind → a status code);
- pages: the visible sentence is looked up by `error.code` in the page's language
  (`Translator.error(error)`), never by the English message, so rewording a message cannot lose
  its translation. `message` is the English text for logs and API clients.

`params` carry values a sentence may name (`{minimum}`, `{retry_after}`); they are also returned
to API clients beside the code, so they must never hold secrets.
"""

from __future__ import annotations

import enum
from typing import Any, ClassVar

import grpc


class ErrorKind(enum.Enum):
    """What went wrong, in the terms every transport can translate."""

    INVALID_INPUT = "invalid_input"
    UNAUTHENTICATED = "unauthenticated"
    PERMISSION_DENIED = "permission_denied"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    GONE = "gone"
    TOO_MANY_REQUESTS = "too_many_requests"


HTTP_STATUS: dict[ErrorKind, int] = {
    ErrorKind.INVALID_INPUT: 422,
    ErrorKind.UNAUTHENTICATED: 401,
    ErrorKind.PERMISSION_DENIED: 403,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.GONE: 410,
    ErrorKind.TOO_MANY_REQUESTS: 429,
}

GRPC_STATUS: dict[ErrorKind, grpc.StatusCode] = {
    ErrorKind.INVALID_INPUT: grpc.StatusCode.INVALID_ARGUMENT,
    ErrorKind.UNAUTHENTICATED: grpc.StatusCode.UNAUTHENTICATED,
    ErrorKind.PERMISSION_DENIED: grpc.StatusCode.PERMISSION_DENIED,
    ErrorKind.NOT_FOUND: grpc.StatusCode.NOT_FOUND,
    ErrorKind.CONFLICT: grpc.StatusCode.FAILED_PRECONDITION,
    ErrorKind.GONE: grpc.StatusCode.FAILED_PRECONDITION,
    ErrorKind.TOO_MANY_REQUESTS: grpc.StatusCode.RESOURCE_EXHAUSTED,
}


class DomainError(Exception):
    """Base of every domain error. Subclasses set `code` (stable, snake_case, unique in the
    service: it is the key of the visible sentence) and `kind`."""

    code: ClassVar[str] = "invalid_input"
    kind: ClassVar[ErrorKind] = ErrorKind.INVALID_INPUT

    def __init__(self, message: str, *, field: str | None = None, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.params = params


def http_status(error: DomainError) -> int:
    return HTTP_STATUS[error.kind]


def grpc_status(error: DomainError) -> grpc.StatusCode:
    return GRPC_STATUS[error.kind]


def field_location(field: str) -> list[str | int]:
    """`contacts[1].email` → ["body", "contacts", 1, "email"] (FastAPI's own `loc` shape)."""
    parts = field.replace("]", "").replace("[", ".").split(".")
    return ["body", *(int(part) if part.isdigit() else part for part in parts)]


def error_body(error: DomainError) -> dict[str, Any]:
    """The JSON an API client gets: the code always, the message where it reads it."""
    body: dict[str, Any] = {"code": error.code, **error.params}
    if error.field is None:
        body["detail"] = error.message
    else:
        body["detail"] = [
            {"loc": field_location(error.field), "msg": error.message, "type": "value_error"}
        ]
    return body


def error_codes(base: type[DomainError]) -> set[str]:
    """Every code `base` and its subclasses (imported so far) can carry — for the test that each
    has a sentence in every language of the service."""
    codes = {base.code}
    for subclass in base.__subclasses__():
        codes |= error_codes(subclass)
    return codes
