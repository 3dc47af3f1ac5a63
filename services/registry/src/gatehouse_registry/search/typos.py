"""Typing mistakes a search forgives, and the keys that find them in an index.

A word of the register is found by a typed word at most `tolerance(len(word))` edits away, as the
search engines people know do it (Meilisearch, Typesense, Elasticsearch's `fuzziness: AUTO`):
none in words of up to 3 letters, one up to 8, two beyond. An edit is a letter inserted,
deleted or replaced, or two neighbours swapped ("Gotebrog"): the optimal string alignment
distance (`distance`).

Finding those words without comparing the typed word to every word of the register uses
*deletion keys* (the SymSpell method): two words within d edits of each other always share a
string obtained by deleting at most d letters from each. The register keeps, for each of its
words, the strings left by deleting up to `tolerance` letters (`deletions`); a search looks up the
typed word and its own deletions among them (`lookup_keys`) and checks the few words found with
`distance`. Unlike trigram similarity, this misses nothing in short words, where one swapped pair
of letters leaves hardly a trigram in common ("nrod"/"nord").
"""

from __future__ import annotations

import functools
import itertools

# Longest word with no typo allowed, and with one; longer words allow two.
EXACT_UP_TO = 3
ONE_EDIT_UP_TO = 8
MAX_EDITS = 2
# Words longer than this get no deletion keys (nobody types them; keeps the index small).
LONGEST_INDEXED = 40


def tolerance(length: int) -> int:
    """Edits forgiven in a word of the register of `length` letters."""
    if length <= EXACT_UP_TO:
        return 0
    if length <= ONE_EDIT_UP_TO:
        return 1
    return MAX_EDITS


def _deletions(word: str, depth: int) -> set[str]:
    found: set[str] = set()
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))} - found
        found |= frontier
    found.discard(word)
    return found


@functools.lru_cache(maxsize=4096)
def deletions(word: str) -> frozenset[str]:
    """The deletion keys stored for a word of the register: every string left by deleting up to
    `tolerance(len(word))` of its letters (the word itself excluded)."""
    if len(word) > LONGEST_INDEXED:
        return frozenset()
    return frozenset(_deletions(word, tolerance(len(word))))


def lookup_keys(typed: str) -> tuple[str, ...]:
    """What to look up for a typed word: itself and its deletions, deep enough to meet every word
    of the register it is within tolerance of (a word within two edits has at least 9 letters,
    so the typed word has at least 7; within one edit, at least 4 and 3)."""
    if len(typed) >= ONE_EDIT_UP_TO + 1 - MAX_EDITS:
        depth = MAX_EDITS
    elif len(typed) >= EXACT_UP_TO:
        depth = 1
    else:
        depth = 0
    return (typed, *sorted(_deletions(typed, depth)))


def distance(a: str, b: str, limit: int = MAX_EDITS) -> int:
    """Optimal string alignment distance between a and b (insertions, deletions, substitutions and
    swaps of neighbours each count one), or `limit + 1` as soon as it is known to exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    if a == b:
        return 0
    previous_previous: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i, *itertools.repeat(0, len(b))]
        for j, char_b in enumerate(b, start=1):
            cost = 0 if char_a == char_b else 1
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                best = min(best, previous_previous[j - 2] + 1)
            current[j] = best
        if min(current) > limit:
            return limit + 1
        previous_previous, previous = previous, current
    return min(previous[-1], limit + 1)


def within_tolerance(typed: str, word: str) -> int | None:
    """The edits between a typed word and a word of the register, when forgiven; else None."""
    allowed = tolerance(len(word))
    edits = distance(typed, word, allowed)
    return edits if edits <= allowed else None
