"""Issue 18, point 3: every registry column that names a user is either in the user's export or
excluded with a reason, and no secret column can leave in it."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import LargeBinary

from gatehouse_registry.my_data import service as my_data
from gatehouse_registry.tables import metadata

CATALOGS = Path(my_data.__file__).parents[1] / "web" / "i18n"


def test_every_user_column_is_exported_or_excluded_with_a_reason() -> None:
    about_users = set(my_data.columns_about_users())
    covered, excluded = set(my_data.COVERED), set(my_data.EXCLUDED)
    missing = about_users - covered - excluded
    assert not missing, (
        f"columns naming a user in neither COVERED nor EXCLUDED (my_data/service.py): "
        f"{sorted(missing)}; export their rows about the user, or exclude them with the reason"
    )
    assert not covered & excluded
    assert covered | excluded <= about_users, "names of columns that do not exist (any more)"
    assert all(reason.strip() for reason in my_data.EXCLUDED.values())
    assert set(my_data.COVERED.values()) <= set(my_data.SECTIONS)


def test_the_rule_finds_the_known_user_columns() -> None:
    """The enumeration itself: the tables about users are found (not an empty list passing)."""
    found = set(my_data.columns_about_users())
    assert {"users.id", "roles.user_id", "audit_log.target_user_id"} <= found
    assert {name.split(".")[0] for name in found} >= {"auth_sessions", "organizations"}
    assert "countries.code" not in found


def test_no_binary_or_secret_column_is_exported() -> None:
    for table in metadata.sorted_tables:
        kept, left_out = my_data.exported_columns(table)
        for column in kept:
            assert not isinstance(column.type, LargeBinary), (table.name, column.name)
            assert "hash" not in column.name, (table.name, column.name)
        assert set(my_data.SECRET_COLUMNS.get(table.name, ())) <= set(left_out)
    assert "id_token" in my_data.exported_columns(metadata.tables["auth_sessions"])[1]


def test_every_section_has_a_sentence_in_swedish_and_english() -> None:
    for language in ("sv", "en"):
        catalog = json.loads((CATALOGS / f"{language}.json").read_text(encoding="utf-8"))
        keys = [f"mydata.section.{name}" for name in my_data.SECTIONS]
        keys += [f"mydata.who.{who}" for who in ("you", "registry", "organisation", "someone")]
        assert [key for key in keys if not catalog.get(key)] == [], language
