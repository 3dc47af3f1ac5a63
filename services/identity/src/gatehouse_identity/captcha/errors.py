"""Domain errors of the captcha."""

from __future__ import annotations

from gatehouse_identity.errors import IdentityError


class CaptchaError(IdentityError):
    """Base of the captcha's errors; they always name `captcha_answer`."""

    def __init__(self, message: str, *, field: str = "captcha_answer") -> None:
        super().__init__(message, field=field)


class CaptchaMissingError(CaptchaError):
    code = "captcha_missing"


class CaptchaFailedError(CaptchaError):
    """Wrong answer, or the challenge expired or was already answered."""

    code = "captcha_wrong"
