"""Look-ups asked for at the same moment are answered by one batch call."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from gatehouse_notifier.gathering import Gatherer


class Source:
    def __init__(self, known: dict[str, str]) -> None:
        self.known = known
        self.calls: list[list[str]] = []
        self.failure: Exception | None = None

    async def batch(self, keys: Sequence[str]) -> dict[str, str]:
        self.calls.append(list(keys))
        await asyncio.sleep(0)
        if self.failure is not None:
            raise self.failure
        return {key: self.known[key] for key in keys if key in self.known}


async def test_keys_asked_together_make_one_call_and_each_caller_gets_its_answer() -> None:
    source = Source({"a": "A", "b": "B"})
    gatherer = Gatherer(source.batch)

    answers = await asyncio.gather(*(gatherer.get(key) for key in ["a", "b", "a", "x"]))

    assert answers == ["A", "B", "A", None]
    assert source.calls == [["a", "b", "x"]]  # once each, in the order first asked
    assert await gatherer.get("b") == "B"  # asked later: a call of its own
    assert len(source.calls) == 2


async def test_a_failed_call_fails_every_caller_of_that_call_only() -> None:
    source = Source({"a": "A"})
    gatherer = Gatherer(source.batch)
    source.failure = RuntimeError("identity is away")

    results = await asyncio.gather(gatherer.get("a"), gatherer.get("b"), return_exceptions=True)

    assert [str(result) for result in results] == ["identity is away"] * 2
    source.failure = None
    assert await gatherer.get("a") == "A"


async def test_a_caller_that_gives_up_does_not_disturb_the_others() -> None:
    source = Source({"a": "A"})
    gatherer = Gatherer(source.batch)
    impatient = asyncio.ensure_future(gatherer.get("a"))
    patient = asyncio.ensure_future(gatherer.get("a"))
    await asyncio.sleep(0)
    impatient.cancel()
    assert await patient == "A"
    with pytest.raises(asyncio.CancelledError):
        await impatient
