"""Typing mistakes a search forgives, and the keys that find them in an index.

A word of the register is found by a typed word at most `tolerance(len(word))` edits away, as the
search engines people know do it (Meilisearch, Typesense, Elasticsearch's `fuzziness: AUTO`):
none in words of up to 3 letters, one up to 8, two beyond. An edit is a letter inserted,
deleted or replaced, or two neighbours swapped ("Gotebrog"): the Damerau–Levenshtein distance
(`distance`).

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
    """Damerau–Levenshtein distance between a and b — letters inserted, deleted or replaced and
    neighbours swapped, each one edit, in any combination ("logistica" → "logiscta" is two: a
    letter dropped, then the neighbours it left swapped) — or `limit + 1` as soon as it is
    known to exceed `limit`. The Lowrance–Wagner algorithm; the restricted variant (optimal
    string alignment) would count 3 there, which is not how a person counts their typos."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    if a == b:
        return 0
    infinity = len(a) + len(b)
    # table[i + 1][j + 1]: distance between a[:i] and b[:j]; row and column 0 are sentinels.
    table = [[infinity] * (len(b) + 2) for _ in range(len(a) + 2)]
    for i in range(len(a) + 1):
        table[i + 1][1] = i
    for j in range(len(b) + 1):
        table[1][j + 1] = j
    last_row: dict[str, int] = {}
    for i in range(1, len(a) + 1):
        last_column = 0
        row_minimum = infinity
        for j in range(1, len(b) + 1):
            k = last_row.get(b[j - 1], 0)
            column = last_column
            if a[i - 1] == b[j - 1]:
                cost = 0
                last_column = j
            else:
                cost = 1
            value = min(
                table[i][j] + cost,
                table[i + 1][j] + 1,
                table[i][j + 1] + 1,
                table[k][column] + (i - k - 1) + 1 + (j - column - 1),
            )
            table[i + 1][j + 1] = value
            row_minimum = min(row_minimum, value)
        if row_minimum > limit:
            return limit + 1
        last_row[a[i - 1]] = i
    return min(table[len(a) + 1][len(b) + 1], limit + 1)


def within_tolerance(typed: str, word: str) -> int | None:
    """The edits between a typed word and a word of the register, when forgiven; else None."""
    allowed = tolerance(len(word))
    edits = distance(typed, word, allowed)
    return edits if edits <= allowed else None
