"""Why a sign-in did not succeed (base classes in errors.py); pages show each code's sentence."""

from __future__ import annotations

from gatehouse_common.errors import ErrorKind
from gatehouse_registry.errors import RegistryError


class SignInError(RegistryError):
    """A sign-in that cannot go on; start again."""

    code = "sign_in_failed"
    kind = ErrorKind.INVALID_INPUT


class SignInExpiredError(SignInError):
    """The state is unknown, used already, too old, or from another browser."""

    code = "sign_in_expired"


class SignInNotCompletedError(SignInError):
    """Identity came back without a code (the person cancelled, or an error)."""

    code = "sign_in_not_completed"


class SecondFactorNotGivenError(SignInNotCompletedError):
    """Identity could not sign the person in with a second factor (unmet_authentication_
    requirements): nothing was signed in."""

    code = "sign_in_second_factor_not_given"


class SecondFactorRequiredError(SignInError):
    """Identity signed the person in below the registry's level."""

    code = "sign_in_second_factor_required"
    kind = ErrorKind.PERMISSION_DENIED


class SignInUnavailableError(SignInError):
    """Identity cannot be reached to start a sign-in."""

    code = "sign_in_unavailable"
