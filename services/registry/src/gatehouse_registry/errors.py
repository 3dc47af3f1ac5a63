"""Domain errors every capability of the registry raises, in the shape all Gatehouse services
share (gatehouse_common.errors.DomainError: a stable `code`, a `kind`, an English message, the
field at fault and `params`).

Capabilities add their own beside their service (operators/errors.py, roles/errors.py, …). Only
transports decide what an error becomes: a status and a JSON body (api_errors.py), a gRPC status
(grpc_api.py), or a sentence beside a form's field (web/), looked up by `error.<code>` in the
page's language — every code has a sentence in Swedish and English (a test checks it).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from gatehouse_common.errors import DomainError, ErrorKind


class RegistryError(DomainError):
    """Base of every registry domain error."""

    code = "invalid_input"
    kind = ErrorKind.INVALID_INPUT


class InvalidInputError(RegistryError):
    """A value the registry cannot accept; subclasses say why."""

    code = "invalid_input"


class RequiredError(InvalidInputError):
    code = "required"

    def __init__(self, *, field: str) -> None:
        super().__init__("must not be empty", field=field)


class ChoiceRequiredError(InvalidInputError):
    """Nothing chosen where one of a list of options must be."""

    code = "choice_required"

    def __init__(self, *, field: str) -> None:
        super().__init__("choose one", field=field)


class UnknownChoiceError(InvalidInputError):
    """A code or id that names nothing the registry offers (a country, a section, …)."""

    code = "unknown_choice"


class TooLongError(InvalidInputError):
    code = "too_long"

    def __init__(self, *, field: str, max_length: int) -> None:
        super().__init__(f"at most {max_length} characters", field=field, max_length=max_length)


class TooManyError(InvalidInputError):
    code = "too_many"

    def __init__(self, *, field: str, maximum: int) -> None:
        super().__init__(f"at most {maximum}", field=field, maximum=maximum)


class OutOfRangeError(InvalidInputError):
    code = "out_of_range"

    def __init__(self, *, field: str, minimum: int, maximum: int) -> None:
        super().__init__(
            f"between {minimum} and {maximum}", field=field, minimum=minimum, maximum=maximum
        )


class InvalidPhoneError(InvalidInputError):
    code = "invalid_phone"

    def __init__(self, *, field: str) -> None:
        super().__init__("a phone number in international format, e.g. +46 31 123456", field=field)


class InvalidEmailError(InvalidInputError):
    code = "invalid_email"

    def __init__(self, *, field: str) -> None:
        super().__init__("an e-mail address such as name@domain.com", field=field)


class ReasonRequiredError(InvalidInputError):
    code = "reason_required"

    def __init__(self, message: str = "say why", *, field: str = "reason") -> None:
        super().__init__(message, field=field)


class InvalidFieldsError(InvalidInputError):
    """Several fields at fault at once, so that a form shows every problem beside its field and
    an API client reads them all (one `detail` entry each). The first problem is the error's own
    message and field."""

    code = "invalid_fields"

    def __init__(self, problems: Sequence[InvalidInputError]) -> None:
        first = problems[0]
        super().__init__(first.message, field=first.field, **first.params)
        self.problems = tuple(problems)


class NotFoundError(RegistryError):
    code = "not_found"
    kind = ErrorKind.NOT_FOUND


class PermissionDeniedError(RegistryError):
    """The actor is known but their valid roles do not allow this."""

    code = "permission_denied"
    kind = ErrorKind.PERMISSION_DENIED


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
    kind = ErrorKind.CONFLICT


class AlreadyDecidedError(ConflictError):
    code = "already_decided"


class OrganizationNotValidError(ConflictError):
    code = "organization_not_valid"


class Problems:
    """Collects the invalid inputs of several independent checks, to raise them together:

    problems = Problems()
    with problems.check():
        name = clean_text(...)
    problems.raise_any()
    """

    def __init__(self) -> None:
        self.found: list[InvalidInputError] = []

    @contextmanager
    def check(self) -> Iterator[None]:
        try:
            yield
        except InvalidInputError as error:
            self.found.extend(error.problems if isinstance(error, InvalidFieldsError) else [error])

    def raise_any(self) -> None:
        if len(self.found) == 1:
            raise self.found[0]
        if self.found:
            raise InvalidFieldsError(self.found)
