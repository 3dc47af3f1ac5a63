"""SQL statements a benchmark makes identity run, from PostgreSQL's own count.

`make bench` starts PostgreSQL with pg_stat_statements loaded; the difference of its `calls` in
identity's database before and after a run, divided by the operations the run made, is the
statements per operation: whatever code path or library issued them, nothing in identity is
instrumented. Identity's background jobs (the outbox relay, the back-channel logout worker) run
meanwhile and are counted too: a few statements a second, against hundreds of sign-ins.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from gatehouse_devstack.bench.harness import Bench

# Transaction control: round trips, but not statements that read or write anything. (In
# PostgreSQL's regular expressions \y is a word's edge; \b would be a backspace.)
TRANSACTION_CONTROL = r"^\s*(BEGIN|START|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE)\y"
COUNT = f"""SELECT coalesce(sum(calls), 0),
                   coalesce(sum(calls) FILTER (WHERE query !~* '{TRANSACTION_CONTROL}'), 0)
              FROM pg_stat_statements
             WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"""


@dataclass(frozen=True)
class Count:
    """Statements counted so far in identity's database: all, and without BEGIN/COMMIT."""

    all: int
    work: int


async def count(bench: Bench) -> Count | None:
    """The count now, or None when PostgreSQL does not keep it (an external server without
    pg_stat_statements loaded). The query that reads it is itself counted next time: one."""
    connection = await asyncpg.connect(bench.stack.database_urls["identity"])
    try:
        await connection.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        row = await connection.fetchrow(COUNT)
    except asyncpg.PostgresError:
        return None
    finally:
        await connection.close()
    assert row is not None  # noqa: S101  (an aggregate always gives a row)
    return Count(int(row[0]), int(row[1]))


def per_operation(before: Count | None, after: Count | None, operations: int) -> dict[str, float]:
    """Statements per operation between two counts (empty when either is missing). The
    counting itself (CREATE EXTENSION IF NOT EXISTS and the SELECT) is taken off."""
    if before is None or after is None or operations <= 0:
        return {}
    own = 2
    return {
        "sql_statements_per_sign_in": round((after.all - before.all - own) / operations, 1),
        "sql_without_begin_commit_per_sign_in": round(
            (after.work - before.work - own) / operations, 1
        ),
    }
