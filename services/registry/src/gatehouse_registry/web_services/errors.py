"""Why web-service access or a machine client is refused (codes have sentences in web/i18n)."""

from __future__ import annotations

from gatehouse_common.errors import ErrorKind
from gatehouse_registry.errors import ConflictError, InvalidInputError, PermissionDeniedError


class AccessNotApprovedError(ConflictError):
    """Machine clients are made only under approved access."""

    code = "web_service_access_not_approved"


class AccessNotPendingError(ConflictError):
    code = "web_service_access_not_pending"


class ClientRevokedError(ConflictError):
    code = "machine_client_revoked"


class InvalidKeysError(InvalidInputError):
    """identity refused the pasted JWKS; the message names the member at fault."""

    code = "invalid_jwks"


class ClientTakenError(ConflictError):
    code = "machine_client_exists"


class InsufficientScopeError(PermissionDeniedError):
    """A machine token without the scope the endpoint needs (RFC 6750 §3.1)."""

    code = "insufficient_scope"
    kind = ErrorKind.PERMISSION_DENIED
