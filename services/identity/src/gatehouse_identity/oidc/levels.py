"""Authentication levels and the `acr` values that carry them in ID tokens.

The session levels are the strings of accounts.sessions.AuthLevel, weakest first. Each maps to
one documented `acr` URN; relying parties ask for a level with `acr_values` and read it back from
the ID token's `acr` claim.
"""

from __future__ import annotations

from typing import Literal

Level = Literal["password", "multi_factor", "phishing_resistant"]

LEVELS: tuple[Level, ...] = ("password", "multi_factor", "phishing_resistant")
ACR_PREFIX = "urn:gatehouse:acr:"
ACR_BY_LEVEL: dict[Level, str] = {level: f"{ACR_PREFIX}{level}" for level in LEVELS}
LEVEL_BY_ACR: dict[str, Level] = {acr: level for level, acr in ACR_BY_LEVEL.items()}


def rank(level: str) -> int:
    """Position of a level (an unknown level ranks below every known one)."""
    return LEVELS.index(level) if level in LEVELS else -1


def satisfies(have: str, need: str) -> bool:
    return rank(have) >= rank(need) >= 0


def strongest(*levels: Level) -> Level:
    return max(levels, key=rank)


def as_level(value: str) -> Level | None:
    for level in LEVELS:
        if level == value:
            return level
    return None


def level_from_acr_values(acr_values: str) -> Level | None:
    """The weakest level among the known requested `acr` values (any of them satisfies the
    client); None when none is known (acr_values is a voluntary request: unknown are ignored)."""
    known = [LEVEL_BY_ACR[value] for value in acr_values.split() if value in LEVEL_BY_ACR]
    if not known:
        return None
    weakest: Level = min(known, key=rank)
    return weakest
