"""The `acr` values that carry session levels (gatehouse_identity.levels) in ID tokens.

Each level maps to one documented `acr` URN; relying parties ask for a level with `acr_values`
and read it back from the ID token's `acr` claim.
"""

from __future__ import annotations

from gatehouse_identity.levels import LEVELS, Level, rank

ACR_PREFIX = "urn:gatehouse:acr:"
ACR_BY_LEVEL: dict[Level, str] = {level: f"{ACR_PREFIX}{level}" for level in LEVELS}
LEVEL_BY_ACR: dict[str, Level] = {acr: level for level, acr in ACR_BY_LEVEL.items()}


def level_from_acr_values(acr_values: str) -> Level | None:
    """The weakest level among the known requested `acr` values (any of them satisfies the
    client); None when none is known (acr_values is a voluntary request: unknown are ignored)."""
    known = [LEVEL_BY_ACR[value] for value in acr_values.split() if value in LEVEL_BY_ACR]
    if not known:
        return None
    weakest: Level = min(known, key=rank)
    return weakest
