"""Domain errors of accounts. Transports translate them (HTTP 4xx, gRPC status codes)."""

from __future__ import annotations


class AccountError(Exception):
    """Base of every accounts error; `field` names the input at fault, when there is one."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInputError(AccountError):
    pass


class WeakPasswordError(InvalidInputError):
    pass


class InvalidCredentialsError(AccountError):
    """Wrong e-mail or password — deliberately the same for unknown, blocked and wrong."""


class InvalidLinkError(AccountError):
    """A set/reset link that is unknown, used, expired or forged."""


class UserNotFoundError(AccountError):
    pass


class NotSignedInError(AccountError):
    pass
