"""From a parsed query to ranked buckets of hits.

Each typed word is *expanded* into the words of the register it may mean (`expand`): itself,
the words within its typo tolerance, and — for the last word, unless it is a legal form — the
commonest words it begins (a search sent while still typing: "Nordic Imp"). The hits are then
ranked in buckets, best first:

1. an identifier typed in the box (organisation, VAT or EORI number);
2. the same words as the name (in any order; the same order first), legal forms, punctuation
   and diacritics aside;
3. every word, as typed (or as the beginning of the last word);
4. every word, within the typo tolerance;
5. only when no operator has every word: more than half of the words, as typed, read from the
   operators having the rarest of them (a word most operators share, "Import", says nothing
   alone).

Within a bucket the closest come first — fewest typos, most words matched, fewest other words in
the name, the legal form typed — then by name; a bucket that may hold thousands of hits is read
in name order only, from an index. Legal forms typed are optional: "Nordic Import AB" finds
"Nordic Import Oy" in bucket 2 (after "Nordic Import AB" itself).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from gatehouse_registry.search import typos, words
from gatehouse_registry.search.buckets import (
    AllWords,
    Bucket,
    Edits,
    Identified,
    NameWords,
    Plan,
    SameOrder,
    SameWords,
    SomeWords,
    WordsMatched,
)
from gatehouse_registry.search.models import Match
from gatehouse_registry.search.queries import DictionaryWord
from gatehouse_registry.search.query import Query, TypedWord

# Prefixes shorter than this are not expanded ("N" begins too many words to mean anything).
MIN_PREFIX = 2
# The commonest words a prefix may stand for ("imp" → import, imports, impex, …).
PREFIX_WORDS = 20
# Near words kept for one typed word, commonest first.
NEAR_WORDS = 40
# The "fewer words" bucket reads the operators having the rarest typed words, up to this many.
HINT_MAX_OPERATORS = 2_000
# A bucket that may hold more hits than this is read in name order only (an index gives the
# first ones at once), not closest first (which takes sorting them all).
BROAD = 5_000


@dataclass(frozen=True)
class Expansion:
    typed: TypedWord
    # The word itself, and words the last word begins.
    exact: tuple[str, ...]
    # Words within the typo tolerance, one edit away and two.
    one_edit: tuple[str, ...]
    two_edits: tuple[str, ...]
    # Operators having one of the words (a word's count, summed: an upper bound).
    operators: int
    exact_operators: int

    @property
    def near(self) -> tuple[str, ...]:
        return self.one_edit + self.two_edits

    @property
    def all(self) -> tuple[str, ...]:
        return self.exact + self.near


def dictionary_lookup(query: Query) -> tuple[list[str], str | None]:
    """The keys to look up for the query's words, and the prefix to expand (if any)."""
    keys: dict[str, None] = {}
    for word in query.words:
        keys.update(dict.fromkeys(typos.lookup_keys(word.text)))
    last = query.words[-1]
    prefix = last.text if last.last and len(last.text) >= MIN_PREFIX else None
    return list(keys), prefix


def expand(query: Query, found: Sequence[DictionaryWord]) -> list[Expansion]:
    """Each typed word with the words of the register it may mean (see the module docstring)."""
    counts = {entry.word: entry.operators for entry in found}
    by_prefix = [entry.word for entry in found if entry.by_prefix]
    candidates = {entry.word for entry in found if not entry.by_prefix}
    expansions = []
    for word in query.words:
        exact = [word.text] if word.text in counts else []
        if word.last:
            exact += [w for w in by_prefix if w != word.text and w.startswith(word.text)]
        edits: dict[str, int] = {}
        for candidate in candidates.difference(exact):
            distance = typos.within_tolerance(word.text, candidate)
            if distance:
                edits[candidate] = distance
        near = sorted(edits, key=lambda w: (edits[w], -counts[w]))[:NEAR_WORDS]
        expansions.append(
            Expansion(
                typed=word,
                exact=tuple(exact),
                one_edit=tuple(w for w in near if edits[w] == 1),
                two_edits=tuple(w for w in near if edits[w] == 2),
                operators=sum(counts[w] for w in (*exact, *near)),
                exact_operators=sum(counts[w] for w in exact),
            )
        )
    return expansions


def _required(expansions: Sequence[Expansion]) -> list[Expansion]:
    """The words a hit should have: legal forms are optional unless nothing else was typed."""
    others = [e for e in expansions if not e.typed.legal_form]
    return others or list(expansions)


class _Sets:
    """The word sets of the query's words as named parameters (`w0_all` …) and their values."""

    def __init__(self, required: Sequence[Expansion]) -> None:
        self.params: dict[str, object] = {}
        self.required = required

    def name(self, index: int, which: str) -> str:
        expansion = self.required[index]
        words_of = {
            "exact": expansion.exact,
            "one": expansion.one_edit,
            "all": expansion.all,
        }[which]
        name = f"w{index}_{which}"
        self.params[name] = list(words_of)
        return name


def _some_words(required: Sequence[Expansion], sets: _Sets, *, legal: bool) -> Bucket | None:
    """Hits with some of the words — more than half of them, as typed — when no operator has
    them all: a name with a word more or less ("Nordic Import Sverige" for Nordic Import AB).
    Read from the operators having the rarest typed words, up to HINT_MAX_OPERATORS: a word many
    operators share ("Import") says nothing alone, and typos would bring in common words
    ("aberg" → "berg"). None when no typed word is rare enough."""
    typed = [(index, e) for index, e in enumerate(required) if e.exact]
    hints: list[str] = []
    total = 0
    for index, expansion in sorted(typed, key=lambda item: item[1].exact_operators):
        if total + expansion.exact_operators > HINT_MAX_OPERATORS:
            break
        hints.append(sets.name(index, "exact"))
        total += expansion.exact_operators
    if not hints:
        return None
    counted = tuple(sets.name(index, "exact") for index, _ in typed)
    return Bucket(
        SomeWords(tuple(hints), counted, need=len(required) // 2 + 1),
        Match.SOME_WORDS,
        closeness=WordsMatched(counted, len(required), legal=legal),
    )


def _broad(counts: Sequence[int], register: int) -> bool:
    """Whether operators having a word of each of the sets counted (`counts`: operators per
    set) may be more than BROAD, guessing the sets independent (as the planner does)."""
    expected = float(register)
    for count in counts:
        expected *= min(count, register) / register
    return expected > BROAD


def plan(
    query: Query,
    expansions: Sequence[Expansion],
    identified: Sequence[uuid.UUID],
    register: int,
) -> Plan:
    """The query's buckets, best first (see the module docstring); `register`: how many
    operators there are, about."""
    required = _required(expansions)
    sets = _Sets(required)
    legal = [e.typed.text for e in expansions if e.typed.legal_form and e not in required]
    if legal:
        sets.params["legal"] = legal
    has_legal = bool(legal)
    first: list[Bucket] = []
    if identified:
        sets.params["ids"] = list(identified)
        first.append(Bucket(Identified(), Match.IDENTIFIER))
    if query.name_key:
        # The same words, in the same order first; they are among the next bucket's hits.
        sets.params["name_sorted"] = words.word_set_key(query.name_key)
        sets.params["name_key"] = query.name_key
        first.append(Bucket(SameWords(), Match.NAME, closeness=SameOrder(legal=has_legal)))
    groups = [first]
    every_word: AllWords | None = None
    indexes = range(len(required))
    if all(e.exact for e in required):
        broad = _broad([e.exact_operators for e in required], register)
        exact = AllWords(tuple(sets.name(i, "exact") for i in indexes))
        closest = NameWords(legal=has_legal)
        first.append(Bucket(exact, Match.WORDS, closeness=None if broad else closest))
        every_word = exact
    if all(e.all for e in required) and any(e.near for e in required):
        broad = _broad([e.operators for e in required], register)
        within = AllWords(tuple(sets.name(i, "all") for i in indexes))
        closeness = Edits(
            tuple(
                (
                    sets.name(i, "exact") if required[i].exact else None,
                    sets.name(i, "one") if required[i].one_edit else None,
                )
                for i in indexes
            ),
            legal=has_legal,
        )
        groups.append([Bucket(within, Match.TYPOS, closeness=None if broad else closeness)])
        every_word = within
    some = _some_words(required, sets, legal=has_legal) if len(required) > 2 else None
    if some is not None:
        groups.append([some])
    return Plan(
        groups=[group for group in groups if group], every_word=every_word, params=sets.params
    )
