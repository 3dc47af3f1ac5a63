"""Capped exponential backoff with jitter, shared by the consumer (nak delay) and the courier."""

from __future__ import annotations

import random


def backoff_delay(attempt: int, *, base_s: float, max_s: float) -> float:
    """Delay before try number `attempt + 1`, after `attempt` (>= 1) failed tries.

    "Equal jitter": between half and all of the capped exponential delay, so replicas retrying
    after the same outage spread out, yet no retry comes sooner than half the schedule.
    """
    exponent = min(max(attempt, 1) - 1, 32)  # 2**32 s is far past any cap; avoids huge floats
    capped = min(max_s, base_s * 2.0**exponent)
    return capped / 2 + random.uniform(0, capped / 2)  # noqa: S311  (jitter, not security)
