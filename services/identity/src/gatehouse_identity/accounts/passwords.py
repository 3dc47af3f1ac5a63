"""EU Login's password rule. Hashing is the process's (gatehouse_identity.password_hashing)."""

from __future__ import annotations

import string

from gatehouse_identity.accounts.errors import WeakPasswordError

MIN_LENGTH = 10
MAX_LENGTH = 128  # argon2 accepts more, but nobody types more and it bounds the work per guess
SPECIAL_CHARACTERS = set(string.punctuation) | {" "}


def check_password_rule(password: str, *, field: str = "password") -> None:
    """10+ characters with upper and lower case, a digit and a special one."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        problems.append(f"at most {MAX_LENGTH} characters")
    if not any(c.isupper() for c in password):
        problems.append("an upper-case letter")
    if not any(c.islower() for c in password):
        problems.append("a lower-case letter")
    if not any(c.isdigit() for c in password):
        problems.append("a digit")
    if not any(c in SPECIAL_CHARACTERS or not c.isalnum() for c in password):
        problems.append("a special character")
    if problems:
        raise WeakPasswordError("the password needs " + ", ".join(problems), field=field)
