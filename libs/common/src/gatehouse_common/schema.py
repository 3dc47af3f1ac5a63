"""What the services' tables.py share: the timestamp column, and the schema objects `Table` and
`Index` cannot declare (extensions, functions, triggers), attached to a service's metadata so that
`metadata.create_all()` makes the whole schema and the tests can compare it with what the
migrations make (gatehouse_devstack.schema_tests). A migration that changes one of these must
change its declaration too; the comparison fails otherwise.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import DDL, Column, DateTime, MetaData, Table, event, func


def timestamp(name: str, *, nullable: bool = True, now: bool = False) -> Column[Any]:
    """A `timestamptz` column; `now`: NOT NULL DEFAULT now()."""
    return Column(
        name,
        DateTime(timezone=True),
        nullable=nullable and not now,
        server_default=func.now() if now else None,
    )


def _ddl(statement: str) -> DDL:
    # DDL() formats its text with %; these statements are literal SQL. (SQLAlchemy leaves the
    # constructor unannotated.)
    return DDL(statement.replace("%", "%%"))  # type: ignore[no-untyped-call]


def extension(metadata: MetaData, name: str) -> None:
    """`CREATE EXTENSION IF NOT EXISTS name` before the tables."""
    event.listen(metadata, "before_create", _ddl(f"CREATE EXTENSION IF NOT EXISTS {name}"))


def after_create(target: Table | MetaData, *statements: str) -> None:
    """Statements (a function, a trigger) run once `target` exists."""
    for statement in statements:
        event.listen(target, "after_create", _ddl(statement))


def append_only(table: Table) -> None:
    """Rows of `table` are never changed or removed, whatever code runs against it."""
    name = table.name
    after_create(
        table,
        f"""CREATE FUNCTION {name}_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{name} is append-only';
END
$$""",
        f"""CREATE TRIGGER {name}_no_change BEFORE UPDATE OR DELETE ON {name}
    FOR EACH ROW EXECUTE FUNCTION {name}_is_append_only()""",
        f"""CREATE TRIGGER {name}_no_truncate BEFORE TRUNCATE ON {name}
    FOR EACH STATEMENT EXECUTE FUNCTION {name}_is_append_only()""",
    )
