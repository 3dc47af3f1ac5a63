"""Domain errors of accounts."""

from __future__ import annotations

from gatehouse_identity.errors import IdentityError, Kind


class AccountError(IdentityError):
    """Base of every accounts error."""


class WeakPasswordError(AccountError):
    """The password breaks EU Login's rule (the message lists what it lacks). The subclasses
    name the first rule it breaks, so the page can say which (issue 14: it did not)."""

    code = "password_too_weak"


class PasswordTooShortError(WeakPasswordError):
    code = "password_too_short"


class PasswordTooLongError(WeakPasswordError):
    code = "password_too_long"


class PasswordNeedsUpperCaseError(WeakPasswordError):
    code = "password_needs_upper_case"


class PasswordNeedsLowerCaseError(WeakPasswordError):
    code = "password_needs_lower_case"


class PasswordNeedsDigitError(WeakPasswordError):
    code = "password_needs_digit"


class PasswordNeedsSpecialCharacterError(WeakPasswordError):
    code = "password_needs_special_character"


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


class DeletionNotConfirmedError(AccountError):
    """*Delete my account* needs the account's e-mail address typed as the confirmation."""

    code = "deletion_not_confirmed"


class LastAdministratorError(AccountError):
    """The user is the only administrator of organizations in the registry: they must appoint
    another administrator before deleting their account."""

    code = "deletion_last_administrator"
    kind = Kind.CONFLICT

    def __init__(self, organizations: list[str]) -> None:
        named = ", ".join(organizations)
        super().__init__(
            f"the user is the last administrator of: {named}", field="confirmation", names=named
        )
        self.organizations = organizations


class RegistryUnavailableError(AccountError):
    """The registry could not say whether the user is the last administrator of an
    organization: deleting is refused rather than risk leaving one without an administrator."""

    code = "deletion_registry_unavailable"
    kind = Kind.CONFLICT


class AccountAlreadyDeletedError(AccountError):
    """The account was deleted meanwhile (a second click, another browser)."""

    code = "account_already_deleted"
    kind = Kind.GONE
