"""Errors of second factors. Each carries its HTTP status and, where there is one, the field at
fault, so every bad input is a 4xx that names it (never a 500)."""

from __future__ import annotations

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from gatehouse_identity.accounts.errors import AccountError


class MfaError(AccountError):
    status_code = status.HTTP_400_BAD_REQUEST
    # A stable machine-readable reason, beside the human message.
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, **extra: object) -> None:
        super().__init__(message, field=field)
        self.extra = extra


class InvalidFactorInputError(MfaError):
    """Malformed input: wrong length, not E.164, undecodable payload, wrong key type..."""

    status_code = status.HTTP_422_UNPROCESSABLE_CONTENT
    code = "invalid_input"


class WrongCodeError(MfaError):
    """A well-formed answer that does not verify (wrong code, bad signature, wrong PIN)."""

    status_code = status.HTTP_401_UNAUTHORIZED
    code = "wrong_code"


class AttemptEndedError(MfaError):
    """Too many wrong answers: the sign-in attempt (session) is over; start again."""

    status_code = status.HTTP_401_UNAUTHORIZED
    code = "sign_in_attempt_ended"


class ChallengeExpiredError(MfaError):
    status_code = status.HTTP_410_GONE
    code = "expired"


class ChallengeUsedError(MfaError):
    """Already answered, used or denied: a replay."""

    status_code = status.HTTP_409_CONFLICT
    code = "already_used"


class ChallengePendingError(MfaError):
    status_code = status.HTTP_409_CONFLICT
    code = "pending"


class NotFoundError(MfaError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"


class MethodUnavailableError(MfaError):
    """The method is not enrolled, locked, or withdrawn (SMS after its sunset date)."""

    status_code = status.HTTP_403_FORBIDDEN
    code = "method_unavailable"


class DeviceLockedError(MfaError):
    status_code = status.HTTP_423_LOCKED
    code = "device_locked"


class DeviceUnknownError(MfaError):
    """The mobile app's device token is missing, unknown or revoked."""

    status_code = status.HTTP_401_UNAUTHORIZED
    code = "unknown_device"


class StepUpRequiredError(MfaError):
    """The session is below the level this action needs; `level` says which one."""

    status_code = status.HTTP_403_FORBIDDEN
    code = "step_up_required"


class DeliveryFailedError(MfaError):
    """The SMS provider did not take the message."""

    status_code = status.HTTP_502_BAD_GATEWAY
    code = "delivery_failed"


async def mfa_error_handler(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, MfaError)  # noqa: S101  (registered for MfaError only)
    body: dict[str, object] = {"code": error.code, **error.extra}
    if error.field is None:
        body["detail"] = error.message
    else:
        body["detail"] = [
            {"loc": ["body", error.field], "msg": error.message, "type": "value_error"}
        ]
    return JSONResponse(body, status_code=error.status_code)


def install_mfa_error_handlers(app: FastAPI) -> None:
    # More specific than accounts' AccountError handler, so Starlette picks this one.
    app.add_exception_handler(MfaError, mfa_error_handler)
