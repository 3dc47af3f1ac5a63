"""Domain errors of accounts."""

from __future__ import annotations

from gatehouse_identity.errors import IdentityError, Kind


class AccountError(IdentityError):
    """Base of every accounts error."""


class WeakPasswordError(AccountError):
    """The password breaks EU Login's rule (the message lists what it lacks)."""

    code = "password_too_weak"


class WrongCurrentPasswordError(AccountError):
    code = "current_password_wrong"


class InvalidCredentialsError(AccountError):
    """Wrong e-mail or password — deliberately the same for unknown, pending and wrong (and for
    a blocked account when the password is wrong)."""

    code = "credentials_wrong"
    kind = Kind.UNAUTHENTICATED


class AccountBlockedError(AccountError):
    """The right password for a blocked account: said only to someone who typed the right
    password, so it reveals nothing to a guesser."""

    code = "account_blocked"
    kind = Kind.UNAUTHENTICATED


class InvalidLinkError(AccountError):
    """A set/reset link that is unknown, used, expired or forged."""

    code = "link_invalid"


class UserNotFoundError(AccountError):
    code = "user_not_found"
    kind = Kind.NOT_FOUND
