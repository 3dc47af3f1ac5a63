"""Domain errors of role requests and the decisions on them (base classes in errors.py)."""

from __future__ import annotations

from gatehouse_registry.errors import ConflictError, InvalidInputError, PermissionDeniedError


class ApproveOrRejectError(InvalidInputError):
    """One request both approved and rejected in the same *Save changes*."""

    code = "approve_or_reject"


class DuplicateRequestError(ConflictError):
    code = "duplicate_request"


class LastAdministratorError(ConflictError):
    code = "last_administrator"


class RoleNotApprovedError(ConflictError):
    """Revoking, and making administrator, need an approved role."""

    code = "role_not_approved"


class AlreadyAdministratorError(ConflictError):
    code = "already_administrator"


class NotAdministratorError(ConflictError):
    code = "not_administrator"


class RoleNotSuspendedError(ConflictError):
    code = "role_not_suspended"


class ResponsibleAuthoritiesMissingError(InvalidInputError):
    code = "responsible_authorities_missing"


class ResponsibleAuthoritiesNotAllowedError(InvalidInputError):
    """Responsible authorities are named only for "responsible for the load"."""

    code = "responsible_authorities_not_allowed"


class ResponsibleForLoadOperatorOnlyError(InvalidInputError):
    code = "responsible_for_load_operator_only"


class NotAValidUserError(PermissionDeniedError):
    """ "Responsible for the load" is asked for by a valid user of the operator."""

    code = "responsible_for_load_needs_membership"
