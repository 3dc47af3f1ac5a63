"""EU Login's password rule. Hashing is the process's (gatehouse_identity.password_hashing)."""

from __future__ import annotations

import string

from gatehouse_identity.accounts.errors import (
    PasswordNeedsDigitError,
    PasswordNeedsLowerCaseError,
    PasswordNeedsSpecialCharacterError,
    PasswordNeedsUpperCaseError,
    PasswordTooLongError,
    PasswordTooShortError,
    WeakPasswordError,
)

MIN_LENGTH = 10
MAX_LENGTH = 128  # argon2 accepts more, but nobody types more and it bounds the work per guess
SPECIAL_CHARACTERS = set(string.punctuation) | {" "}


def check_password_rule(password: str, *, field: str = "password") -> None:
    """10+ characters with upper and lower case, a digit and a special one."""
    rules: list[tuple[bool, type[WeakPasswordError], str]] = [
        (len(password) < MIN_LENGTH, PasswordTooShortError, f"at least {MIN_LENGTH} characters"),
        (len(password) > MAX_LENGTH, PasswordTooLongError, f"at most {MAX_LENGTH} characters"),
        (
            not any(c.isupper() for c in password),
            PasswordNeedsUpperCaseError,
            "an upper-case letter",
        ),
        (
            not any(c.islower() for c in password),
            PasswordNeedsLowerCaseError,
            "a lower-case letter",
        ),
        (not any(c.isdigit() for c in password), PasswordNeedsDigitError, "a digit"),
        (
            not any(c in SPECIAL_CHARACTERS or not c.isalnum() for c in password),
            PasswordNeedsSpecialCharacterError,
            "a special character",
        ),
    ]
    broken = [(error, text) for failed, error, text in rules if failed]
    if broken:
        first_error = broken[0][0]
        message = "the password needs " + ", ".join(text for _, text in broken)
        raise first_error(message, field=field, minimum=MIN_LENGTH, maximum=MAX_LENGTH)
