"""Identity's domain errors as HTTP answers: the kind decides the status
(gatehouse_common.errors), the body is `error_body` — FastAPI's own 422 shape when a field is at
fault, `{"code", "detail"}` otherwise, with the error's params beside them.

Three statuses say more than the kind does, and are decided here, by the transport: a locked
device is 423 Locked, an SMS the provider did not take is 502 Bad Gateway (the fault is
upstream), and a set-password link that cannot be used is 400, as it has always been answered.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from gatehouse_common.errors import error_body, http_status
from gatehouse_identity.accounts.errors import InvalidLinkError
from gatehouse_identity.errors import IdentityError
from gatehouse_identity.mfa.errors import DeviceLockedError, SmsNotSentError

STATUS_OVERRIDES: dict[type[IdentityError], int] = {
    DeviceLockedError: status.HTTP_423_LOCKED,
    SmsNotSentError: status.HTTP_502_BAD_GATEWAY,
    InvalidLinkError: status.HTTP_400_BAD_REQUEST,
}


def status_of(error: IdentityError) -> int:
    for kind, code in STATUS_OVERRIDES.items():
        if isinstance(error, kind):
            return code
    return http_status(error)


async def identity_error_handler(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, IdentityError)  # noqa: S101  (registered for IdentityError only)
    return JSONResponse(error_body(error), status_code=status_of(error))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(IdentityError, identity_error_handler)
