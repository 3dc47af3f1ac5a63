"""The notifier's Alembic migrations and tables.py agree, and a database made by main before
Alembic upgrades in place (see gatehouse_devstack.schema_tests)."""

from __future__ import annotations

from pathlib import Path

from gatehouse_devstack.schema_tests import ConcurrentMigrationTest, SchemaTests


class TestNotifierSchema(SchemaTests, ConcurrentMigrationTest):
    package = "gatehouse_notifier"
    made_by_main = Path(__file__).with_name("made_by_main_51ab076.sql")
