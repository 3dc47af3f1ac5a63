"""The buckets of a search as plain data: what ranking decides (`ranking.plan`) and what the
queries turn into SQL (`queries`). Word sets are named, and their words passed as parameters,
so that two searches of the same shape ("two words, the second with typos, a country") share one
statement, built and compiled once per process."""

from __future__ import annotations

from dataclasses import dataclass, field

from gatehouse_registry.search.models import Match


@dataclass(frozen=True)
class AllWords:
    """The operator has a word of each set (each set: the parameter naming its words)."""

    sets: tuple[str, ...]


@dataclass(frozen=True)
class SomeWords:
    """The operator has a word of one of the `hints` sets, and words of at least `need` of the
    `counted` sets (one per typed word)."""

    hints: tuple[str, ...]
    counted: tuple[str, ...]
    need: int


@dataclass(frozen=True)
class SameWords:
    """The operator's name has the typed words, in any order (parameter `name_sorted`)."""


@dataclass(frozen=True)
class Identified:
    """The operator holds a typed identifier (parameter `ids`)."""


@dataclass(frozen=True)
class Everything:
    """No text: the filters alone."""


Condition = AllWords | SomeWords | SameWords | Identified | Everything


# Every closeness ends with the legal form: when one was typed (parameter `legal`), the
# operators with it come before those without, other things equal.


@dataclass(frozen=True)
class NameWords:
    """Closest: fewest words in the name."""

    legal: bool = False


@dataclass(frozen=True)
class SameOrder:
    """Closest: the name's words in the order typed (parameter `name_key`)."""

    legal: bool = False


@dataclass(frozen=True)
class Edits:
    """Closest: fewest typos, then fewest words in the name. Per typed word, the set of its
    words as typed and the set one edit away (None when there are none, or no typos)."""

    words: tuple[tuple[str | None, str | None], ...]
    legal: bool = False


@dataclass(frozen=True)
class WordsMatched:
    """Closest: most of the typed words (`sets`, one per word), then fewest words in the name;
    `typed`: how many words were typed."""

    sets: tuple[str, ...]
    typed: int
    legal: bool = False


Closeness = NameWords | SameOrder | Edits | WordsMatched


@dataclass(frozen=True)
class Bucket:
    """Hits of one rank: those meeting `condition` (and no earlier bucket's), closest first by
    `closeness`; none for a broad bucket, which is then read in name order (an index gives its
    first rows at once), then by name."""

    condition: Condition
    match: Match
    closeness: Closeness | None = None

    @property
    def every_word(self) -> bool:
        return self.match is not Match.SOME_WORDS


@dataclass
class Plan:
    """The buckets to read, in groups read one after the other while the page is not full; the
    condition every hit with every word meets (what is counted); the parameters' values."""

    groups: list[list[Bucket]]
    every_word: Condition | None
    params: dict[str, object] = field(default_factory=dict)
