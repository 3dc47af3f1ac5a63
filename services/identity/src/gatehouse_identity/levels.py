"""How strongly a session's user proved who they are: the three levels, weakest first.

- `password`: a password (or an eID asserting low assurance);
- `multi_factor`: a password and any second factor (SMS only before its sunset date);
- `phishing_resistant`: a password and a WebAuthn security key or passkey, whose signature is
  bound to the origin, so a look-alike site cannot relay it.

Sessions carry a level, second factors raise it, relying services ask for one (`acr`). Every
capability reads the levels from here; an unknown level satisfies nothing and is satisfied by
nothing (fail closed).
"""

from __future__ import annotations

from typing import Final, Literal

Level = Literal["password", "multi_factor", "phishing_resistant"]

LEVELS: tuple[Level, ...] = ("password", "multi_factor", "phishing_resistant")


class AuthLevel:
    """The levels by name, for code that compares against one."""

    PASSWORD: Final[Level] = "password"  # noqa: S105  (a level name, not a password)
    MULTI_FACTOR: Final[Level] = "multi_factor"
    PHISHING_RESISTANT: Final[Level] = "phishing_resistant"

    ORDER: Final = LEVELS


_RANK: dict[str, int] = {level: position for position, level in enumerate(LEVELS)}


def rank(level: str) -> int:
    """Position of a level (an unknown level ranks below every known one)."""
    return _RANK.get(level, -1)


def level_satisfies(have: str, need: str) -> bool:
    """True when a session at level `have` may do what needs level `need`."""
    return rank(have) >= rank(need) >= 0


def strongest(*levels: Level) -> Level:
    return max(levels, key=rank)


def stronger(a: str, b: str) -> str:
    return a if level_satisfies(a, b) else b


def as_level(value: str | None) -> Level | None:
    for level in LEVELS:
        if level == value:
            return level
    return None


def parse_level(value: str | None, *, default: str) -> str | None:
    """A level named by a caller, the default when absent, None when not a level."""
    if not value:
        return default
    return as_level(value)
