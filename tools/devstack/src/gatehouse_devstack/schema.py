"""What a service's database holds, read from PostgreSQL's catalog: to compare schemas made in
different ways (migrations, `metadata.create_all`, a database made by an older release) and to
check that an upgrade kept every row.

Each object is described by PostgreSQL itself (`format_type`, `pg_get_constraintdef`,
`pg_get_indexdef`, `pg_get_functiondef`, `pg_get_triggerdef`), so the same schema reads the same
however it was written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

# Bookkeeping of the migration tools, not part of a service's schema.
MIGRATION_TABLES = frozenset(
    {"alembic_version", "_yoyo_log", "_yoyo_migration", "_yoyo_version", "yoyo_lock"}
)

_CATALOG = {
    "extensions": "SELECT extname FROM pg_extension WHERE extname <> 'plpgsql'",
    "columns": """
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated,
               -- the column's place among the table's live columns
               rank() OVER (PARTITION BY c.oid ORDER BY a.attnum)
          FROM pg_attribute a
          JOIN pg_class c ON c.oid = a.attrelid
          LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
           AND a.attnum > 0 AND NOT a.attisdropped""",
    "constraints": """
        SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
          FROM pg_constraint WHERE connamespace = 'public'::regnamespace""",
    "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
    "functions": """
        SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p
         WHERE p.pronamespace = 'public'::regnamespace
           AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')""",
    "triggers": """
        SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid)
          FROM pg_trigger WHERE NOT tgisinternal""",
    "sequences": """
        SELECT sequencename, data_type::text, increment_by, min_value, max_value
          FROM pg_sequences WHERE schemaname = 'public'""",
}


def catalog(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table, column, constraint, index, function, trigger, sequence and extension of the
    database's public schema, sorted, without the migration tools' own tables."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    with psycopg.connect(url) as connection:
        for kind, query in _CATALOG.items():
            rows = connection.execute(query).fetchall()
            found[kind] = sorted(
                (tuple(row) for row in rows if str(row[0]).strip('"') not in MIGRATION_TABLES),
                key=repr,
            )
    return found


def table_contents(url: str) -> dict[str, list[str]]:
    """Every row of every table (as JSON text, sorted) and every sequence's position."""
    contents: dict[str, list[str]] = {}
    with psycopg.connect(url) as connection:
        tables = connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
        for (table,) in tables:
            if table in MIGRATION_TABLES:
                continue
            query = sql.SQL("SELECT to_jsonb(t)::text FROM {} t ORDER BY 1").format(
                sql.Identifier(table)
            )
            contents[table] = [row[0] for row in connection.execute(query).fetchall()]
        sequences = connection.execute(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"
        ).fetchall()
        for name, last_value in sequences:
            contents[f"sequence {name}"] = [str(last_value)]
    return contents


def kept_rows(
    before: dict[str, list[str]], after: dict[str, list[str]]
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """The rows before and after an upgrade, each cut to the tables and the columns both have
    (revisions may add tables and columns, or drop a column they replace): equal when the
    upgrade kept the data."""

    def project(rows: list[str], columns: set[str]) -> list[str]:
        cut = ({k: v for k, v in json.loads(row).items() if k in columns} for row in rows)
        return sorted(json.dumps(row, sort_keys=True) for row in cut)

    kept_before: dict[str, list[str]] = {}
    kept_after: dict[str, list[str]] = {}
    for table, rows in before.items():
        now = after.get(table, [])
        if table.startswith("sequence ") or not rows or not now:
            kept_before[table], kept_after[table] = rows, now
            continue
        columns = set(json.loads(rows[0])) & set(json.loads(now[0]))
        kept_before[table], kept_after[table] = project(rows, columns), project(now, columns)
    return kept_before, kept_after


def load_script(url: str, script: Path) -> None:
    """Run a SQL script such as a `pg_dump --inserts` output (no psql meta-commands)."""
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(script.read_text(encoding="utf-8").encode())
