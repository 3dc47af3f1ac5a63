"""Translates accounts' domain errors into HTTP answers shaped like FastAPI's own 422s."""

from __future__ import annotations

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from gatehouse_identity.accounts.errors import (
    AccountError,
    InvalidCredentialsError,
    InvalidInputError,
    InvalidLinkError,
    NotSignedInError,
    UserNotFoundError,
)

STATUS_BY_ERROR: dict[type[AccountError], int] = {
    InvalidInputError: status.HTTP_422_UNPROCESSABLE_CONTENT,
    InvalidLinkError: status.HTTP_400_BAD_REQUEST,
    InvalidCredentialsError: status.HTTP_401_UNAUTHORIZED,
    NotSignedInError: status.HTTP_401_UNAUTHORIZED,
    UserNotFoundError: status.HTTP_404_NOT_FOUND,
}


def status_for(error: AccountError) -> int:
    for error_type, code in STATUS_BY_ERROR.items():
        if isinstance(error, error_type):
            return code
    return status.HTTP_400_BAD_REQUEST


async def account_error_handler(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, AccountError)  # noqa: S101  (registered for AccountError only)
    code = status_for(error)
    if error.field is None:
        return JSONResponse({"detail": error.message}, status_code=code)
    detail = [{"loc": ["body", error.field], "msg": error.message, "type": "value_error"}]
    return JSONResponse({"detail": detail}, status_code=code)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AccountError, account_error_handler)
