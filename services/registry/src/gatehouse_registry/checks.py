"""Checks of typed values that every capability applies: text, phone numbers, e-mail addresses.

The JSON API's models check the same shapes first (operators/schemas.py, schemas.py); these are
the registry's own rules, so that every caller — pages included — meets the same ones and gets a
domain error naming the field.
"""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

from gatehouse_registry.errors import (
    InvalidEmailError,
    InvalidPhoneError,
    ReasonRequiredError,
    RequiredError,
    TooLongError,
)

# International format, as the manual's example "+32 02 123456" (the API's `Phone` too).
PHONE = re.compile(r"^\+[0-9][0-9 ()-]{5,24}$")
MAX_EMAIL = 254


def clean_text(value: str, *, field: str, max_length: int, required: bool = True) -> str:
    """Runs of white space become one space; refused when empty (if `required`) or too long."""
    cleaned = " ".join(value.split())
    if required and not cleaned:
        raise RequiredError(field=field)
    if len(cleaned) > max_length:
        raise TooLongError(field=field, max_length=max_length)
    return cleaned


def clean_optional(value: str | None, *, field: str, max_length: int) -> str | None:
    """Stripped (line breaks inside kept), None when empty; refused beyond `max_length`."""
    if value is None:
        return None
    cleaned = value.strip()
    if len(cleaned) > max_length:
        raise TooLongError(field=field, max_length=max_length)
    return cleaned or None


def check_phone(value: str, *, field: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise RequiredError(field=field)
    if not PHONE.match(cleaned):
        raise InvalidPhoneError(field=field)
    return cleaned


def check_email(value: str, *, field: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise RequiredError(field=field)
    if len(cleaned) > MAX_EMAIL:
        raise TooLongError(field=field, max_length=MAX_EMAIL)
    try:
        validate_email(cleaned, check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidEmailError(field=field) from error
    return cleaned


MAX_REASON = 1000


def required_reason(value: str | None, *, field: str = "reason") -> str:
    """The reason a refusal or revocation must give (kept in the audit trail and the e-mail)."""
    cleaned = clean_optional(value, field=field, max_length=MAX_REASON)
    if cleaned is None:
        raise ReasonRequiredError(field=field)
    return cleaned


def optional_reason(value: str | None, *, field: str = "reason") -> str | None:
    return clean_optional(value, field=field, max_length=MAX_REASON)
