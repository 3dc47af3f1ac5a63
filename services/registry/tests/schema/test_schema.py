"""The registry's Alembic migrations and tables.py agree, and a database made by main before
Alembic upgrades in place (see gatehouse_devstack.schema_tests)."""

from __future__ import annotations

from pathlib import Path

import psycopg

from gatehouse_common.migrations import upgrade
from gatehouse_devstack.schema import load_script
from gatehouse_devstack.schema_tests import SchemaTests, ScratchDatabase


class TestRegistrySchema(SchemaTests):
    package = "gatehouse_registry"
    made_by_main = Path(__file__).with_name("made_by_main_51ab076.sql")


def test_operators_of_an_older_database_get_their_search_words(
    scratch_database: ScratchDatabase,
) -> None:
    """Revision 0002 gives the operators already registered the words search finds them by."""
    database = scratch_database()
    load_script(database, TestRegistrySchema.made_by_main)
    upgrade(database, package="gatehouse_registry")
    with psycopg.connect(database) as connection:
        found = connection.execute(
            """SELECT search_words, search_name FROM organizations
                WHERE name = 'Göteborgs Frukt AB'"""
        ).fetchone()
        keys = connection.execute(
            "SELECT count(*) FROM operator_word_keys WHERE word = 'goteborgs'"
        ).fetchone()
    assert found == (["goteborgs", "frukt", "ab", "goteborg"], "goteborgs frukt")
    assert keys is not None
    assert keys[0] > 0
