"""Domain errors of sessions."""

from __future__ import annotations

from gatehouse_identity.errors import IdentityError, Kind


class NotSignedInError(IdentityError):
    """No live session (never signed in, signed out, expired or idle too long)."""

    code = "not_signed_in"
    kind = Kind.UNAUTHENTICATED


class SignInAttemptOverError(NotSignedInError):
    """The session a second factor was meant to raise is gone (signed out, expired, or a
    parallel answer already raised it)."""

    code = "sign_in_attempt_over"


class SessionNotFoundError(IdentityError):
    code = "session_not_found"
    kind = Kind.NOT_FOUND
