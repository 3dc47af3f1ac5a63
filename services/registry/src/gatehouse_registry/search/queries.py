"""The operator search's other SQL (SQLAlchemy Core; the hits are in `hits`): the dictionary
look-ups, identifiers, the reference codes of the filters, the details of a page's hits, and
keeping the dictionary up to date. Statements on every search's path are compiled once
(`hits.Compiled`); every value is a bound parameter.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import (
    BindParameter,
    Integer,
    Select,
    bindparam,
    exists,
    false,
    func,
    select,
    text,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import Text, Uuid

from gatehouse_registry.search import typos
from gatehouse_registry.search.hits import (
    PREFER_INDEXES,
    Compiled,
    Filters,
    HitDetails,
    activity_list,
    details_of,
    main_address,
)
from gatehouse_registry.tables import (
    activity_types,
    countries,
    identifiers,
    operator_word_keys,
    operator_words,
    organizations,
    sections,
)


@dataclass(frozen=True)
class DictionaryWord:
    word: str
    operators: int
    # Found as a word the typed prefix begins, rather than by a deletion key.
    by_prefix: bool


TEXT_ARRAY: ARRAY[str] = ARRAY(Text)
UUID_ARRAY: ARRAY[uuid.UUID] = ARRAY(Uuid)


def words_array(words: Sequence[str]) -> BindParameter[list[str]]:
    return bindparam(None, list(words), type_=TEXT_ARRAY)  # type: ignore[arg-type]


def uuid_array(ids: Sequence[uuid.UUID]) -> BindParameter[list[uuid.UUID]]:
    return bindparam(None, list(ids), type_=UUID_ARRAY)  # type: ignore[arg-type]


@functools.cache
def _dictionary_statement(with_prefix: bool) -> Compiled:
    keys = bindparam("keys", type_=TEXT_ARRAY)
    by_key = (
        select(operator_words.c.word, operator_words.c.operators, false().label("p"))
        .join(operator_word_keys, operator_word_keys.c.word == operator_words.c.word)
        .where(operator_word_keys.c.key == func.any(keys))
    )
    as_typed = select(operator_words.c.word, operator_words.c.operators, false().label("p")).where(
        operator_words.c.word == func.any(keys)
    )
    parts: list[Select[tuple[str, int, bool]]] = [by_key, as_typed]
    if with_prefix:
        parts.append(
            select(operator_words.c.word, operator_words.c.operators, true().label("p"))
            .where(operator_words.c.word.like(bindparam("pattern", type_=Text), escape="\\"))
            .order_by(operator_words.c.operators.desc())
            .limit(bindparam("prefix_limit", type_=Integer))
        )
    return Compiled.of(union_all(*parts))


async def dictionary_matches(
    connection: AsyncConnection, keys: Sequence[str], prefix: str | None, prefix_limit: int
) -> list[DictionaryWord]:
    """Words of the dictionary that are one of `keys`, or have a deletion key among them, and
    the `prefix_limit` commonest words beginning with `prefix`."""
    params: dict[str, object] = {"keys": list(keys)}
    if prefix:
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params |= {"pattern": escaped + "%", "prefix_limit": prefix_limit}
    rows = await _dictionary_statement(bool(prefix)).run(connection, params)
    return [DictionaryWord(row.word, row.operators, row.p) for row in rows]


async def identifier_holders(connection: AsyncConnection, values: Sequence[str]) -> list[uuid.UUID]:
    """Operators holding one of the identifier `values` (compact form)."""
    rows = await connection.execute(
        select(identifiers.c.organization_id)
        .where(identifiers.c.active, identifiers.c.value == func.any(words_array(values)))
        .distinct()
    )
    return list(rows.scalars())


@functools.cache
def _begin_statement(shape: tuple[bool, bool, bool]) -> Compiled:
    checks = [
        (given, field, column)
        for given, (field, column) in zip(
            shape,
            (
                ("country", countries.c.code),
                ("section", sections.c.code),
                ("activity_type", activity_types.c.code),
            ),
            strict=True,
        )
    ]
    return Compiled.of(
        select(
            *PREFER_INDEXES,
            *(
                exists().where(column == bindparam(field, type_=Text)).label(field)
                for given, field, column in checks
                if given
            ),
        )
    )


async def begin_search(connection: AsyncConnection, filters: Filters) -> tuple[str, str] | None:
    """Set the search's settings for the rest of the transaction (`hits.PREFER_INDEXES`), and
    check the filters' codes in the same statement: (field, code) of the first filter naming a
    code the reference data lacks, or None."""
    row = (await _begin_statement(filters.shape).run(connection, filters.params))[0]
    known = row[len(PREFER_INDEXES) :]
    given = [(field, str(value)) for field, value in filters.params.items()]
    for (field, value), found in zip(given, known, strict=True):
        if not found:
            return field, value
    return None


@functools.cache
def _details_statement() -> Compiled:
    return Compiled.of(
        select(
            organizations.c.id,
            main_address(organizations.c.id),
            activity_list(organizations.c.id),
        ).where(organizations.c.id == func.any(bindparam("ids", type_=UUID_ARRAY)))
    )


async def hit_details(
    connection: AsyncConnection, operator_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, HitDetails]:
    """Each operator's main address on one line (with its country's English name) and its
    activities, in one statement."""
    rows = await _details_statement().run(connection, {"ids": list(operator_ids)})
    return {row[0]: details_of(row[1], row[2]) for row in rows}


async def operators_in_register(connection: AsyncConnection) -> int:
    """PostgreSQL's estimate of the number of organizations (as of the last ANALYZE; a catalog
    query, clearest as SQL)."""
    estimate = (
        await connection.execute(
            text("SELECT reltuples FROM pg_class WHERE oid = 'organizations'::regclass")
        )
    ).scalar_one_or_none()
    return max(int(estimate or 0), 1)


async def known_words(connection: AsyncConnection, words: Sequence[str]) -> dict[str, int]:
    """Which of `words` the dictionary has, with how many operators have each."""
    rows = await connection.execute(
        select(operator_words.c.word, operator_words.c.operators).where(
            operator_words.c.word == func.any(words_array(words))
        )
    )
    return {row[0]: row[1] for row in rows}


async def nearest_word(connection: AsyncConnection, word: str) -> str | None:
    """The word of the dictionary most similar to `word` by trigrams (pg_trgm's `%`, at its
    default threshold of 0.3), for words beyond the typo tolerance."""
    similarity = func.similarity(operator_words.c.word, word)
    return (
        await connection.execute(
            select(operator_words.c.word)
            .where(operator_words.c.word.op("%")(word))
            .order_by(similarity.desc(), operator_words.c.operators.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def add_words(connection: AsyncConnection, words: Sequence[str]) -> None:
    """Count an operator's words in the dictionary; new words get their deletion keys.

    Words are written in sorted order, so two operators created at once lock the same words in
    the same order (no deadlock); of two that add the same new word, the second waits for the
    first and counts it."""
    ordered = sorted(set(words))
    if not ordered:
        return
    new = set(
        (
            await connection.execute(
                insert(operator_words)
                .values([{"word": word, "operators": 1} for word in ordered])
                .on_conflict_do_nothing()
                .returning(operator_words.c.word)
            )
        ).scalars()
    )
    known = [word for word in ordered if word not in new]
    if known:
        await connection.execute(
            update(operator_words)
            .where(operator_words.c.word == func.any(words_array(known)))
            .values(operators=operator_words.c.operators + 1)
        )
    keys = [{"key": key, "word": word} for word in sorted(new) for key in typos.deletions(word)]
    if keys:
        await connection.execute(insert(operator_word_keys).values(keys).on_conflict_do_nothing())
