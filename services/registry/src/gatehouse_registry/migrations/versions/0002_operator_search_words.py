"""Operator search by words (issue 15; gatehouse_registry.search explains the design): each
operator's folded words with an inverted index (and the country inside it), its name's words as
typed and sorted, the dictionary of all words with the deletion keys that find a word from a
typo, and identifiers found by their value. Replaces the trigram search over whole texts
(search_text, its two indexes, registry_fold and unaccent go).

Existing operators get their words here, by the registry's word rules as of this revision
(a later change of the rules comes with a revision that computes them again).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import collections

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

from gatehouse_registry.search import typos, words

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BATCH = 5_000
EMPTY_ARRAY = sa.text("'{}'::text[]")
EMPTY_TEXT = sa.text("''::text")
OPERATORS_ONLY = sa.text("kind = 'operator'")


def upgrade() -> None:
    op.add_column(
        "organizations",
        sa.Column("search_words", ARRAY(sa.Text), nullable=False, server_default=EMPTY_ARRAY),
    )
    for column in ("search_name", "search_name_sorted"):
        op.add_column(
            "organizations",
            sa.Column(column, sa.Text, nullable=False, server_default=EMPTY_TEXT),
        )
    op.create_table(
        "operator_words",
        sa.Column("word", sa.Text(collation="C"), primary_key=True),
        sa.Column("operators", sa.Integer, nullable=False),
    )
    op.create_table(
        "operator_word_keys",
        sa.Column("key", sa.Text(collation="C"), nullable=False),
        sa.Column("word", sa.Text(collation="C"), nullable=False),
        sa.PrimaryKeyConstraint("key", "word"),
    )
    _words_of_existing_operators()
    op.create_index(
        "operator_words_trigrams",
        "operator_words",
        ["word"],
        postgresql_using="gin",
        postgresql_ops={"word": "gin_trgm_ops"},
    )
    op.create_index(
        "organizations_operator_words",
        "organizations",
        ["country_code", "search_words"],
        postgresql_using="gin",
        postgresql_where=OPERATORS_ONLY,
    )
    op.create_index(
        "organizations_operator_name",
        "organizations",
        ["search_name_sorted"],
        postgresql_where=OPERATORS_ONLY,
    )
    op.create_index(
        "organizations_operator_by_name",
        "organizations",
        ["name", "id"],
        postgresql_where=OPERATORS_ONLY,
    )
    op.create_index(
        "identifiers_by_value", "identifiers", ["value"], postgresql_where=sa.text("active")
    )
    op.drop_index("organizations_operator_search_by_country", "organizations")
    op.drop_index("organizations_operator_search", "organizations")
    op.drop_column("organizations", "search_text")
    op.execute("DROP FUNCTION registry_fold(text)")
    op.execute("DROP EXTENSION unaccent")


def _words_of_existing_operators() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            """SELECT o.id, o.name, coalesce(a.city, '') AS town
                 FROM organizations o
                 LEFT JOIN addresses a ON a.organization_id = o.id AND a.is_main
                WHERE o.kind = 'operator'"""
        )
    ).all()
    counts: collections.Counter[str] = collections.Counter()
    update = sa.text(
        """UPDATE organizations
              SET search_words = :words, search_name = :name, search_name_sorted = :sorted
            WHERE id = :id"""
    ).bindparams(sa.bindparam("words", type_=ARRAY(sa.Text)))
    for start in range(0, len(rows), BATCH):
        batch = []
        for row in rows[start : start + BATCH]:
            entry = words.search_entry(row.name, row.town)
            counts.update(entry.words)
            batch.append(
                {
                    "id": row.id,
                    "words": list(entry.words),
                    "name": entry.name_key,
                    "sorted": entry.word_set_key,
                }
            )
        connection.execute(update, batch)
    if counts:
        connection.execute(
            sa.text("INSERT INTO operator_words (word, operators) VALUES (:word, :operators)"),
            [{"word": word, "operators": count} for word, count in counts.items()],
        )
        keys = [{"key": key, "word": word} for word in counts for key in typos.deletions(word)]
        if keys:
            connection.execute(
                sa.text("INSERT INTO operator_word_keys (key, word) VALUES (:key, :word)"), keys
            )


def downgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    op.execute(
        """CREATE FUNCTION registry_fold(value text) RETURNS text
           LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
           RETURN lower(unaccent('unaccent'::regdictionary, value))"""
    )
    op.add_column(
        "organizations",
        sa.Column("search_text", sa.Text, nullable=False, server_default=EMPTY_TEXT),
    )
    op.execute(
        """UPDATE organizations o
              SET search_text = registry_fold(o.name || coalesce(' ' || a.street || ' '
                                              || a.postal_code || ' ' || a.city, ''))
             FROM organizations x
             LEFT JOIN addresses a ON a.organization_id = x.id AND a.is_main
            WHERE x.id = o.id"""
    )
    op.alter_column("organizations", "search_text", server_default=None)
    op.execute(
        """CREATE INDEX organizations_operator_search ON organizations
               USING gin (search_text gin_trgm_ops) WHERE kind = 'operator'"""
    )
    op.execute(
        """CREATE INDEX organizations_operator_search_by_country ON organizations
               USING gin (country_code, search_text gin_trgm_ops) WHERE kind = 'operator'"""
    )
    op.drop_index("identifiers_by_value", "identifiers")
    op.drop_table("operator_word_keys")
    op.drop_table("operator_words")
    for column in ("search_name_sorted", "search_name", "search_words"):
        op.drop_column("organizations", column)
