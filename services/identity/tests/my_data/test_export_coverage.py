"""Issue 18, point 3: every identity table with a user column is either in the user's export or
excluded with a reason, and no secret column can leave in it."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import LargeBinary

from gatehouse_identity.my_data import export

CATALOGS = Path(export.__file__).parents[1] / "i18n"


def test_every_table_about_users_is_exported_or_excluded_with_a_reason() -> None:
    about_users = set(export.tables_about_users())
    exported, excluded = set(export.EXPORTED), set(export.EXCLUDED)
    missing = about_users - exported - excluded
    assert not missing, (
        f"tables with a user column in neither EXPORTED nor EXCLUDED (my_data/export.py): "
        f"{sorted(missing)}; add each to the export, or exclude it with the reason"
    )
    assert not exported & excluded
    assert exported | excluded <= about_users, "names of tables that do not exist (any more)"
    assert all(reason.strip() for reason in export.EXCLUDED.values())


def test_no_binary_or_secret_column_is_exported() -> None:
    tables = export.tables_about_users()
    for name in export.EXPORTED:
        kept, left_out = export.exported_columns(tables[name][0])
        for column in kept:
            assert not isinstance(column.type, LargeBinary), (name, column.name)
            assert "hash" not in column.name, (name, column.name)
            assert "secret" not in column.name, (name, column.name)
        assert set(export.SECRET_COLUMNS.get(name, ())) <= set(left_out)
    assert "password_hash" in export.exported_columns(tables["users"][0])[1]


def test_every_section_and_reason_has_a_sentence_in_swedish_and_english() -> None:
    for language in ("sv", "en"):
        catalog = json.loads((CATALOGS / f"{language}.json").read_text(encoding="utf-8"))
        keys = [f"mydata.table.{name}" for name in export.EXPORTED]
        keys += [f"mydata.excluded.{name}" for name in export.EXCLUDED]
        assert [key for key in keys if not catalog.get(key)] == [], language
