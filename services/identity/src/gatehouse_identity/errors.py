"""The base of every identity domain error (gatehouse_common.errors.DomainError).

Each capability subclasses `IdentityError` beside its service (`accounts/errors.py`,
`mfa/errors.py`, …) with a stable `code` — the key of the sentence a person reads,
`error.<code>` in the page catalogs (i18n/*.json) — and a `kind`, which the transports turn into
an HTTP or gRPC status (`http_errors.py`, `grpc_api.py`). Services raise them and never choose a
status; the English `message` is for logs and API clients.

OpenID Connect's own errors (oidc/errors.py) are not domain errors: their codes are the
protocol's (RFC 6749) and they go back to the client as the protocol says.
"""

from __future__ import annotations

from gatehouse_common.errors import DomainError, ErrorKind

Kind = ErrorKind

__all__ = ["IdentityError", "Kind", "UnknownLevelError"]


class IdentityError(DomainError):
    """Base of every identity domain error."""

    code = "invalid_input"
    kind = Kind.INVALID_INPUT


class UnknownLevelError(IdentityError):
    """A caller named a level that does not exist."""

    code = "level_unknown"

    def __init__(self, *, field: str = "level") -> None:
        super().__init__("level must be password, multi_factor or phishing_resistant", field=field)
