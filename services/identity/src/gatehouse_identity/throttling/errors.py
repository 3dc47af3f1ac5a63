"""Domain errors of throttling."""

from __future__ import annotations

from gatehouse_identity.captcha.errors import CaptchaError


class CaptchaRequiredError(CaptchaError):
    """This address failed to sign in too often: a solved captcha must come with the password."""

    code = "captcha_required"
