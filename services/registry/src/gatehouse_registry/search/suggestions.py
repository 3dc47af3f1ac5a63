"""For "Did you mean …": the query with the words the register does not know corrected."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from gatehouse_registry.search import queries, ranking
from gatehouse_registry.search.query import Query, TypedWord


async def corrected_query(
    connection: AsyncConnection, expansions: list[ranking.Expansion]
) -> Query | None:
    """The query with each word the register does not know replaced by the nearest word within
    tolerance, or two known words it runs together ("nordicimport"), or else its nearest known
    word by trigrams; None when nothing needs or allows correcting."""
    replaced: list[TypedWord] = []
    changed = False
    for expansion in expansions:
        typed = expansion.typed
        if typed.legal_form or expansion.exact:
            replaced.append(typed)
            continue
        changed = True
        if expansion.near:
            corrections = [expansion.near[0]]
        else:
            corrections = await _correction(connection, typed.text)
            if not corrections:
                return None
        replaced += [TypedWord(word, legal_form=False, last=False) for word in corrections]
    if not changed:
        return None
    return Query(
        words=tuple(replaced),
        name_key=" ".join(w.text for w in replaced if not w.legal_form),
        identifiers=(),
    )


async def _correction(connection: AsyncConnection, word: str) -> list[str]:
    """Known words for an unknown one: two that it runs together, else the nearest by trigrams
    (none when nothing is near)."""
    splits = [(word[:at], word[at:]) for at in range(2, len(word) - 1)]
    known = await queries.known_words(connection, [part for split in splits for part in split])
    both = [(left, right) for left, right in splits if left in known and right in known]
    if both:
        left, right = max(both, key=lambda split: min(known[split[0]], known[split[1]]))
        return [left, right]
    nearest = await queries.nearest_word(connection, word)
    return [nearest] if nearest else []
