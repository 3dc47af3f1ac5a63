"""The SQL of the hits: a group of buckets read at once (each cut at the rows needed inside
PostgreSQL, in its own order), with the details of the hits on the page asked for, and the
settings a search runs with. Built with SQLAlchemy Core from the buckets' shape
(gatehouse_registry.search.buckets) with named parameters, and compiled once per shape and
process: a search then costs a dictionary look-up and the statement's execution, not building
and compiling an expression tree (which took more of the registry's time than PostgreSQL took
to answer)."""

from __future__ import annotations

import functools
import operator
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal_column,
    not_,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement
from sqlalchemy.types import Text, Uuid

from gatehouse_registry.search.buckets import (
    AllWords,
    Bucket,
    Closeness,
    Condition,
    Edits,
    Everything,
    Identified,
    NameWords,
    SameOrder,
    SameWords,
    SomeWords,
    WordsMatched,
)
from gatehouse_registry.search.models import Match
from gatehouse_registry.tables import (
    activities,
    activity_types,
    addresses,
    countries,
    organizations,
)

operators = organizations.alias("o")
DIALECT = postgresql.asyncpg.dialect()  # type: ignore[no-untyped-call]


@dataclass(frozen=True)
class Filters:
    country_code: str | None = None
    section_code: str | None = None
    activity_type_code: str | None = None

    @property
    def shape(self) -> tuple[bool, bool, bool]:
        return (
            self.country_code is not None,
            self.section_code is not None,
            self.activity_type_code is not None,
        )

    @property
    def params(self) -> dict[str, object]:
        given = {
            "country": self.country_code,
            "section": self.section_code,
            "activity_type": self.activity_type_code,
        }
        return {name: value for name, value in given.items() if value is not None}


@dataclass(frozen=True)
class HitDetails:
    address: str
    # (section, activity type, its English name) of the activities not rejected, oldest first
    activities: list[tuple[str, str, str]]


@dataclass(frozen=True)
class Hit:
    id: uuid.UUID
    name: str
    status: str
    match: Match
    # Read with the hit when it is on the page asked for (see `hits_of_buckets`).
    details: HitDetails | None = None

    @property
    def every_word(self) -> bool:
        return self.match is not Match.SOME_WORDS


@dataclass(frozen=True)
class Compiled:
    """A statement as sent to PostgreSQL, the names of its parameters in order, and the values
    of those the statement holds itself (its constants)."""

    sql: str
    names: tuple[str, ...]
    constants: Mapping[str, object]

    @classmethod
    def of(cls, statement: ClauseElement) -> Compiled:
        compiled = statement.compile(dialect=DIALECT)
        if not isinstance(compiled, SQLCompiler):  # pragma: no cover - a SELECT compiles so
            raise TypeError(type(compiled))
        constants = {name: value for name, value in compiled.params.items() if value is not None}
        return cls(str(compiled), tuple(compiled.positiontup or ()), constants)

    async def run(self, connection: AsyncConnection, params: Mapping[str, object]) -> Sequence[Any]:
        values = tuple(
            params[name] if name in params else self.constants[name] for name in self.names
        )
        return (await connection.exec_driver_sql(self.sql, values)).all()


TEXT_ARRAY: ARRAY[str] = ARRAY(Text)


def _words(name: str) -> ColumnElement[list[str]]:
    words: ColumnElement[list[str]] = bindparam(name, type_=TEXT_ARRAY)  # type: ignore[arg-type]
    return words


def _has_any(name: str) -> ColumnElement[bool]:
    """The operator has one of the words of set `name` (the GIN index on the word arrays)."""
    overlap: ColumnElement[bool] = operators.c.search_words.overlap(_words(name))
    return overlap


def _filter_conditions(shape: tuple[bool, bool, bool]) -> list[ColumnElement[bool]]:
    country, section, activity_type = shape
    found: list[ColumnElement[bool]] = [
        operators.c.kind == "operator",
        operators.c.status != "rejected",
    ]
    if country:
        found.append(operators.c.country_code == bindparam("country", type_=Text))
    for given, column, name in (
        (section, activities.c.section_code, "section"),
        (activity_type, activities.c.activity_type_code, "activity_type"),
    ):
        if given:
            found.append(
                exists().where(
                    activities.c.organization_id == operators.c.id,
                    activities.c.status != "rejected",
                    column == bindparam(name, type_=Text),
                )
            )
    return found


def _condition(condition: Condition) -> ColumnElement[bool]:
    match condition:
        case AllWords(sets):
            return and_(*(_has_any(name) for name in sets))
        case SomeWords(hints, counted, need):
            return and_(or_(*(_has_any(name) for name in hints)), _matched(counted) >= need)
        case SameWords():
            return operators.c.search_name_sorted == bindparam("name_sorted", type_=Text)
        case Identified():
            return operators.c.id == func.any(bindparam("ids", type_=ARRAY(Uuid)))
        case Everything():
            return true()
    raise AssertionError(condition)  # pragma: no cover - every kind is matched above


def _name_words() -> ColumnElement[int]:
    """How many different words the operator's name has (fewer: closer to what was typed)."""
    counted: ColumnElement[int] = func.cardinality(
        func.string_to_array(operators.c.search_name_sorted, " ")
    )
    return counted


def _matched(sets: tuple[str, ...]) -> ColumnElement[int]:
    """How many of the sets the operator has a word of."""
    return functools.reduce(operator.add, (cast(_has_any(name), Integer) for name in sets))


def _word_edits(exact: str | None, one: str | None) -> ColumnElement[int]:
    """0 when the operator has the typed word as typed, 1 when one edit away, else 2."""
    whens = [(_has_any(name), edits) for name, edits in ((exact, 0), (one, 1)) if name]
    if not whens:
        return literal_column("2")
    return case(*whens, else_=2)


def _closeness(closeness: Closeness | None) -> ColumnElement[int]:
    if closeness is None:
        return literal_column("0")
    legal: ColumnElement[int] = (
        case((_has_any("legal"), 0), else_=1) if closeness.legal else literal_column("0")
    )
    # Fewest other words in the name counts after edits and words matched, before the form.
    rest = _name_words() * 10 + legal
    match closeness:
        case NameWords():
            return rest
        case SameOrder():
            same_order = case(
                (operators.c.search_name == bindparam("name_key", type_=Text), 0), else_=1
            )
            return same_order * 1000 + rest
        case Edits(per_word):
            edits = [_word_edits(exact, one) for exact, one in per_word]
            return functools.reduce(operator.add, edits) * 1000 + rest
        case WordsMatched(sets, typed):
            return (typed - _matched(sets)) * 1000 + rest
    raise AssertionError(closeness)  # pragma: no cover


def main_address(organization_id: ColumnElement[uuid.UUID]) -> ColumnElement[str]:
    """The operator's main address on one line, with its country's English name."""
    line: ColumnElement[str] = (
        select(
            addresses.c.street
            + " "
            + addresses.c.postal_code
            + " "
            + addresses.c.city
            + " "
            + countries.c.name_en
        )
        .join(countries, countries.c.code == addresses.c.country_code)
        .where(addresses.c.organization_id == organization_id, addresses.c.is_main)
        .limit(1)
        .scalar_subquery()
    )
    return line


def activity_list(organization_id: ColumnElement[uuid.UUID]) -> ColumnElement[Any]:
    """The operator's activities not rejected, oldest first: [section, type, type's name]."""
    listed: ColumnElement[Any] = (
        select(
            func.jsonb_agg(
                aggregate_order_by(
                    func.jsonb_build_array(
                        activities.c.section_code,
                        activities.c.activity_type_code,
                        activity_types.c.name_en,
                    ),
                    activities.c.created_at,
                    activities.c.id,
                )
            )
        )
        .join(activity_types, activity_types.c.code == activities.c.activity_type_code)
        .where(activities.c.organization_id == organization_id, activities.c.status != "rejected")
        .scalar_subquery()
    )
    return listed


@functools.lru_cache(maxsize=1024)
def _bucket_statement(
    filters: tuple[bool, bool, bool],
    buckets: tuple[tuple[int, Bucket], ...],
    earlier: tuple[Bucket, ...],
    details: bool,
) -> Compiled:
    excluded = [_condition(bucket.condition) for bucket in earlier]
    branches: list[Select[Any]] = []
    for number, bucket in buckets:
        closeness = _closeness(bucket.closeness)
        # A broad bucket in name order alone: an index gives it (a constant would be taken for a
        # column's position anyway).
        order = () if bucket.closeness is None else (closeness,)
        branches.append(
            select(
                literal_column(str(number)).label("bucket"),
                closeness.label("closeness"),
                operators.c.id,
                operators.c.name,
                operators.c.status,
            )
            .where(
                *_filter_conditions(filters),
                _condition(bucket.condition),
                *(not_(condition) for condition in excluded),
            )
            .order_by(*order, operators.c.name, operators.c.id)
            .limit(bindparam("limit", type_=Integer))
        )
        excluded.append(_condition(bucket.condition))
    hits = union_all(*branches).subquery("hits")
    in_order = (hits.c.bucket, hits.c.closeness, hits.c.name, hits.c.id)
    if not details:
        return Compiled.of(
            select(hits.c.bucket, hits.c.id, hits.c.name, hits.c.status)
            .order_by(*in_order)
            .limit(bindparam("limit", type_=Integer))
        )
    # The page's details in the same statement: only the rows at its positions have them read
    # (CASE evaluates a subquery only when its condition holds).
    ordered = (
        select(
            hits.c.bucket,
            hits.c.id,
            hits.c.name,
            hits.c.status,
            func.row_number().over(order_by=in_order).label("position"),
        )
        .order_by(*in_order)
        .limit(bindparam("limit", type_=Integer))
        .subquery("ordered")
    )
    skip = bindparam("skip", type_=Integer)
    shown = and_(
        ordered.c.position > skip, ordered.c.position <= skip + bindparam("show", type_=Integer)
    )
    return Compiled.of(
        select(
            ordered.c.bucket,
            ordered.c.id,
            ordered.c.name,
            ordered.c.status,
            shown.label("shown"),
            case((shown, main_address(ordered.c.id))).label("address"),
            case((shown, activity_list(ordered.c.id))).label("activities"),
        ).order_by(ordered.c.position)
    )


def details_of(address: str | None, listed: Sequence[Sequence[str]] | None) -> HitDetails:
    return HitDetails(address or "", [(a[0], a[1], a[2]) for a in listed or ()])


async def hits_of_buckets(
    connection: AsyncConnection,
    filters: Filters,
    buckets: Sequence[tuple[int, Bucket]],
    earlier: Sequence[Bucket],
    params: Mapping[str, object],
    *,
    limit: int,
    shown: tuple[int, int] | None = None,
) -> list[Hit]:
    """The first `limit` hits of (numbered) `buckets`, bucket after bucket, leaving out the
    hits of the `earlier` buckets. Each bucket is cut at `limit` rows inside PostgreSQL, in its
    own order, so a broad bucket costs the rows shown, not the rows matched.

    `shown` (skip, count): the hits after the first `skip` (which may be negative), up to
    `count` of them, come with their details, read in the same statement."""
    if not buckets:
        return []
    statement = _bucket_statement(filters.shape, tuple(buckets), tuple(earlier), shown is not None)
    values = {**params, **filters.params, "limit": limit}
    if shown is not None:
        values |= {"skip": shown[0], "show": shown[1]}
    rows = await statement.run(connection, values)
    matches = {number: bucket.match for number, bucket in buckets}
    return [
        Hit(
            row.id,
            row.name,
            row.status,
            matches[row.bucket],
            details_of(row.address, row.activities) if shown is not None and row.shown else None,
        )
        for row in rows
    ]


# For the rest of the transaction: no reading of the whole table, and no parallel workers.
# PostgreSQL's planner costs an array overlap (`&&` with a dozen expanded words) like a single
# comparison, so under a LIMIT it may think a sequential scan finds the first rows sooner than the
# GIN index; over a million rows it never does, and the indexes answer every condition the search
# builds. Parallel workers, which it plans for a scan of tens of thousands of index rows, take
# longer to start than such a scan takes alone. And each statement is planned for its own values
# (the statements are prepared, and a generic plan cannot tell a word in every tenth operator from
# a word in one). The columns of the statement that begins a search (`queries.begin_search`).
PREFER_INDEXES = (
    func.set_config("enable_seqscan", "off", true()),
    func.set_config("max_parallel_workers_per_gather", "0", true()),
    func.set_config("plan_cache_mode", "force_custom_plan", true()),
)


async def prefer_indexes(connection: AsyncConnection) -> None:
    await connection.execute(select(*PREFER_INDEXES))
