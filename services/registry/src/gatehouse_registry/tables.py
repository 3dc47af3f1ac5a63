"""The registry's tables, one MetaData for the service: its sign-in sessions, reference data,
organizations with their addresses, contacts, identifiers and activities, its copy of identity's
users, their roles, the append-only audit trail and the events it consumed (capabilities may move
their part into a tables.py of their own, on this same `metadata`).

The migrations in migrations/versions/ must arrive at exactly this; the tests compare the two
(tests/schema/test_schema.py). The reference data itself (countries, chapters, sections,
activity types, sample authorities) is data, written by the baseline revision and
`python -m gatehouse_registry load-reference-data`.

Over our usual ~500 lines for now, like identity's tables.py: the whole schema of the service in
one declaration; it shrinks as capabilities take their tables into their own tables.py.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    SmallInteger,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from gatehouse_common.db import service_metadata
from gatehouse_common.outbox import outbox_table
from gatehouse_common.schema import after_create, append_only, extension, timestamp

metadata = service_metadata()

# Replaces the function of append_only(audit_log) (revision 0004 runs the same statement).
AUDIT_LOG_PSEUDONYMISABLE = """CREATE OR REPLACE FUNCTION audit_log_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND OLD.actor_user_id IS NOT NULL
       AND OLD.actor_user_id::text = current_setting('gatehouse.pseudonymising', true)
       AND to_jsonb(NEW) - 'actor_name' = to_jsonb(OLD) - 'actor_name' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only';
END
$$"""
outbox_events = outbox_table(metadata)

# pg_trgm and btree_gin are "trusted": a database owner may create them without being a
# superuser, so this runs on managed PostgreSQL as well as on the embedded server. pg_trgm finds
# the words near a typed one for "Did you mean …"; btree_gin lets the country join the operators'
# word index (gatehouse_registry.search explains the search's tables).
for _name in ("pg_trgm", "btree_gin"):
    extension(metadata, _name)


def _organization_id(*, primary_key: bool = False) -> Column[Any]:
    return Column(
        "organization_id",
        Uuid,
        ForeignKey("organizations.id"),
        nullable=False,
        primary_key=primary_key,
    )


def _country_code() -> Column[Any]:
    return Column("country_code", Text, ForeignKey("countries.code"), nullable=False)


# ------------------------------------------------------------------------------------ sign-in

# The registry's own sessions, made after an OpenID Connect sign-in at identity. Only hashes of
# the cookie value are stored.
auth_sessions = Table(
    "auth_sessions",
    metadata,
    Column("id_hash", LargeBinary, primary_key=True),
    Column("user_id", Uuid, nullable=False),
    # Identity's data as of this sign-in (refreshed at every sign-in).
    Column("full_name", Text, nullable=False),
    Column("email", Text, nullable=False),
    Column("level", Text, nullable=False),
    Column("amr", ARRAY(Text), nullable=False),
    # Identity's session id (`sid`): a back-channel logout names it.
    Column("identity_sid", Text),
    # Sent back as id_token_hint at sign-out, so identity signs out without asking.
    Column("id_token", Text, nullable=False),
    timestamp("created_at", now=True),
    timestamp("last_seen_at", now=True),
    timestamp("expires_at", nullable=False),
    Index("auth_sessions_sid", "identity_sid"),
    Index("auth_sessions_user", "user_id"),
    Index("auth_sessions_expiry", "expires_at"),
)

# Sign-ins in progress (the hash of the `state` sent to identity).
auth_login_states = Table(
    "auth_login_states",
    metadata,
    Column("state_hash", LargeBinary, primary_key=True),
    # SHA-256 of a random value in the browser's login cookie: no login CSRF.
    Column("browser_binding", LargeBinary, nullable=False),
    Column("nonce", Text, nullable=False),
    Column("code_verifier", Text, nullable=False),
    Column("return_to", Text, nullable=False),
    timestamp("created_at", now=True),
    timestamp("expires_at", nullable=False),
)

# Identity access tokens (JWTs, verified here without asking identity) the registry refuses
# before they expire: those of an identity session that was logged out (`sid`, from the
# back-channel logout) and those of a user whose devices were reset (`user_id`, from identity's
# event), issued at or before `issued_before`. Kept as long as such a token could still be valid;
# every replica reads new rows within a second (auth/revocations.py).
access_token_revocations = Table(
    "access_token_revocations",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("sid", Text),
    Column("user_id", Uuid),
    timestamp("issued_before", nullable=False),
    timestamp("recorded_at", now=True),
    timestamp("keep_until", nullable=False),
    CheckConstraint(
        "sid IS NOT NULL OR user_id IS NOT NULL", name="access_token_revocations_names_whom"
    ),
    Index("access_token_revocations_recorded", "recorded_at"),
    Index("access_token_revocations_keep_until", "keep_until"),
)

# ----------------------------------------------------------------------------- reference data

countries = Table(
    "countries",
    metadata,
    Column("code", Text, primary_key=True),  # ISO 3166-1 alpha-2
    Column("name_en", Text, nullable=False),
    Column("name_sv", Text, nullable=False),
    Column("eu_member", Boolean, nullable=False, server_default=text("false")),
    Column("eea_member", Boolean, nullable=False, server_default=text("false")),
    CheckConstraint("code ~ '^[A-Z]{2}$'", name="countries_code_check"),
)

chapters = Table(
    "chapters",
    metadata,
    Column("code", Text, primary_key=True),
    Column("name_en", Text, nullable=False),
    Column("name_sv", Text, nullable=False),
    Column("sort_order", Integer, nullable=False, server_default=text("0")),
    CheckConstraint("code ~ '^[a-z][a-z0-9_]{0,39}$'", name="chapters_code_check"),
)

sections = Table(
    "sections",
    metadata,
    Column("code", Text, primary_key=True),
    # NULL for the chapter-less sections (IMPORTER, EXPORTER, TRANSPORTER, RFL).
    Column("chapter_code", Text, ForeignKey("chapters.code")),
    Column("name_en", Text, nullable=False),
    Column("name_sv", Text, nullable=False),
    CheckConstraint("code ~ '^[A-Z0-9][A-Z0-9 _-]{0,39}$'", name="sections_code_check"),
)

activity_types = Table(
    "activity_types",
    metadata,
    Column("code", Text, primary_key=True),
    Column("section_code", Text, ForeignKey("sections.code"), nullable=False),
    Column("name_en", Text, nullable=False),
    Column("name_sv", Text, nullable=False),
    CheckConstraint("code ~ '^[A-Z0-9][A-Z0-9 _-]{0,59}$'", name="activity_types_code_check"),
    UniqueConstraint("section_code", "code"),
)

# ------------------------------------------------------------------------------ organizations

organizations = Table(
    "organizations",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("name", Text, nullable=False),
    _country_code(),
    Column("status", Text, nullable=False),
    # Short codes of authorities and control bodies (e.g. SE-SJV-IEK, SEGOT); NULL for operators.
    Column("code", Text, unique=True),
    Column("authority_kind", Text),
    # The authority that runs a border control post (it decides for its posts).
    Column("parent_authority_id", Uuid, ForeignKey("organizations.id")),
    # Who validates the organization and approves its first user (not set for authorities).
    Column("competent_authority_id", Uuid, ForeignKey("organizations.id")),
    Column("created_by", Uuid),
    timestamp("created_at", now=True),
    Column("decided_by", Uuid),
    timestamp("decided_at"),
    Column("decision_reason", Text),
    # What operator search finds it by (gatehouse_registry.search.words): the distinct folded
    # words of its name and its main address's town; its name's words in order, legal forms
    # left out ("nordic import"); the same words sorted ("import nordic"). Empty for others.
    Column("search_words", ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")),
    Column("search_name", Text, nullable=False, server_default=text("''::text")),
    Column("search_name_sorted", Text, nullable=False, server_default=text("''::text")),
    CheckConstraint(
        "kind IN ('operator', 'organic_control_body', 'authority', 'other_entity')",
        name="organizations_kind_check",
    ),
    CheckConstraint("length(name) BETWEEN 1 AND 200", name="organizations_name_check"),
    CheckConstraint(
        "status IN ('pending', 'valid', 'rejected')", name="organizations_status_check"
    ),
    CheckConstraint(
        "authority_kind IN ('central', 'local', 'border_control_post')",
        name="organizations_authority_kind_check",
    ),
    CheckConstraint(
        "(kind = 'authority') = (authority_kind IS NOT NULL)", name="organizations_check"
    ),
    CheckConstraint(
        "kind = 'authority' OR parent_authority_id IS NULL", name="organizations_check1"
    ),
    Index("organizations_by_country", "kind", "country_code", "name", "id"),
    Index("organizations_competent_authority", "competent_authority_id"),
    Index("organizations_parent_authority", "parent_authority_id"),
    # Operator search (partial: only operators are searched). The inverted index of the words,
    # with the country inside it (btree_gin), so both narrow the hits before a row is read.
    Index(
        "organizations_operator_words",
        "country_code",
        "search_words",
        postgresql_using="gin",
        postgresql_where=text("kind = 'operator'"),
    ),
    # The same words as typed, in any order.
    Index(
        "organizations_operator_name",
        "search_name_sorted",
        postgresql_where=text("kind = 'operator'"),
    ),
    # Hits in name order when no country is chosen (with one, organizations_by_country serves).
    Index(
        "organizations_operator_by_name", "name", "id", postgresql_where=text("kind = 'operator'")
    ),
)

# The chapters an authority handles (its competence, together with its country).
organization_chapters = Table(
    "organization_chapters",
    metadata,
    _organization_id(primary_key=True),
    Column("chapter_code", Text, ForeignKey("chapters.code"), primary_key=True),
)

addresses = Table(
    "addresses",
    metadata,
    Column("id", Uuid, primary_key=True),
    _organization_id(),
    Column("position", SmallInteger, nullable=False),
    Column("is_main", Boolean, nullable=False, server_default=text("false")),
    Column("street", Text, nullable=False),
    Column("postal_code", Text, nullable=False),
    Column("city", Text, nullable=False),
    _country_code(),
    # Target of the activities' same-organization foreign key.
    UniqueConstraint("id", "organization_id"),
    Index("addresses_one_main", "organization_id", unique=True, postgresql_where=text("is_main")),
    Index("addresses_organization", "organization_id", "position"),
)

contacts = Table(
    "contacts",
    metadata,
    Column("id", Uuid, primary_key=True),
    _organization_id(),
    Column("position", SmallInteger, nullable=False),
    Column("kind", Text, nullable=False),
    Column("value", Text, nullable=False),
    CheckConstraint("kind IN ('phone', 'email')", name="contacts_kind_check"),
    Index("contacts_organization", "organization_id", "position"),
)

identifiers = Table(
    "identifiers",
    metadata,
    Column("id", Uuid, primary_key=True),
    _organization_id(),
    Column("type", Text, nullable=False),
    _country_code(),
    # Normalised (compact) form, so "556036-0793" and "5560360793" collide.
    Column("value", Text, nullable=False),
    # False once the organization was rejected: its identifiers may then be registered again.
    Column("active", Boolean, nullable=False, server_default=text("true")),
    CheckConstraint(
        "type IN ('national_registration_number', 'vat', 'eori')", name="identifiers_type_check"
    ),
    Index(
        "identifiers_unique_active",
        "type",
        "country_code",
        "value",
        unique=True,
        postgresql_where=text("active"),
    ),
    Index("identifiers_organization", "organization_id"),
    # A number typed in the search box, looked up in each form it may be stored in.
    Index("identifiers_by_value", "value", postgresql_where=text("active")),
)

activities = Table(
    "activities",
    metadata,
    Column("id", Uuid, primary_key=True),
    _organization_id(),
    Column("section_code", Text, nullable=False),
    Column("activity_type_code", Text, nullable=False),
    Column("identification_code", Text, nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date),
    Column("publication_date", Date),
    Column("application_date", Date),
    Column("address_id", Uuid, nullable=False),
    # The competent authority chosen by country and chapter; it validates the activity.
    Column("authority_id", Uuid, ForeignKey("organizations.id"), nullable=False),
    Column("status", Text, nullable=False),
    Column("created_by", Uuid),
    timestamp("created_at", now=True),
    Column("decided_by", Uuid),
    timestamp("decided_at"),
    Column("decision_reason", Text),
    CheckConstraint("status IN ('pending', 'valid', 'rejected')", name="activities_status_check"),
    ForeignKeyConstraint(
        ["section_code", "activity_type_code"],
        ["activity_types.section_code", "activity_types.code"],
    ),
    ForeignKeyConstraint(
        ["address_id", "organization_id"], ["addresses.id", "addresses.organization_id"]
    ),
    CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="activities_check"),
    Index("activities_organization", "organization_id"),
    Index("activities_section", "section_code", "organization_id"),
    Index("activities_type", "activity_type_code", "organization_id"),
    Index("activities_authority", "authority_id", postgresql_where=text("status = 'pending'")),
)

# ----------------------------------------------------------------------------- operator search

# Every word of an operator's name or town (gatehouse_registry.search.words), and how many
# operators have it (to offer a prefix's common words first). Never shrinks: a word no operator
# has any more only costs a look-up.
operator_words = Table(
    "operator_words",
    metadata,
    # "C" collation: the words a prefix begins (`LIKE 'imp%'`) are a range of the primary key.
    Column("word", Text(collation="C"), primary_key=True),
    Column("operators", Integer, nullable=False),
    # "Did you mean …": the nearest words by trigram similarity, beyond the typo tolerance.
    Index(
        "operator_words_trigrams",
        "word",
        postgresql_using="gin",
        postgresql_ops={"word": "gin_trgm_ops"},
    ),
)

# For each word, the strings left by deleting up to its typo tolerance of letters: a typed word's
# own deletions find every word within tolerance (gatehouse_registry.search.typos).
operator_word_keys = Table(
    "operator_word_keys",
    metadata,
    Column("key", Text(collation="C"), nullable=False),
    Column("word", Text(collation="C"), nullable=False),
    PrimaryKeyConstraint("key", "word"),
)

# ------------------------------------------------------------------------------ users and roles

# The registry's copy of identity's users (refreshed at each sign-in); id is identity's user id.
users = Table(
    "users",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("full_name", Text, nullable=False),
    Column("email", Text, nullable=False),
    # 'inactive' after four months without signing in: no role works until reactivated.
    Column("status", Text, nullable=False, server_default=text("'active'")),
    timestamp("last_sign_in_at", nullable=False),
    # Inactivity counts from here: the last sign-in, or the reactivation if that came later.
    timestamp("last_seen_at", nullable=False),
    timestamp("inactivity_warned_at"),
    timestamp("inactivated_at"),
    timestamp("reactivation_requested_at"),
    Column("reactivation_message", Text),
    timestamp("created_at", now=True),
    timestamp("updated_at", now=True),
    CheckConstraint("status IN ('active', 'inactive')", name="users_status_check"),
    Index("users_active_by_last_seen", "last_seen_at", postgresql_where=text("status = 'active'")),
)

# Requested (pending), then approved or rejected; an approved role may later be revoked. One
# row carries the whole life, so its id is "the role request id" in events and gRPC.
roles = Table(
    "roles",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", Uuid, ForeignKey("users.id"), nullable=False),
    _organization_id(),
    Column("kind", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("is_admin", Boolean, nullable=False, server_default=text("false")),
    # Set when identity reset the user's devices: the role does not work until unsuspended.
    timestamp("suspended_at"),
    Column("message", Text),
    Column("contact_email", Text),
    Column("contact_phone", Text),
    timestamp("requested_at", now=True),
    Column("decided_by", Uuid),
    timestamp("decided_at"),
    Column("decision_reason", Text),
    Column("revoked_by", Uuid),
    timestamp("revoked_at"),
    Column("revoke_reason", Text),
    CheckConstraint("kind IN ('member', 'responsible_for_load')", name="roles_kind_check"),
    CheckConstraint(
        "status IN ('pending', 'approved', 'rejected', 'revoked')", name="roles_status_check"
    ),
    CheckConstraint(
        "NOT is_admin OR (status = 'approved' AND kind = 'member')", name="roles_check"
    ),
    # One live (pending or approved) request per user, organization and kind of role.
    Index(
        "roles_one_live",
        "user_id",
        "organization_id",
        "kind",
        unique=True,
        postgresql_where=text("status IN ('pending', 'approved')"),
    ),
    Index("roles_organization", "organization_id", "status"),
    Index("roles_user", "user_id", "status"),
)

# The authorities named as responsible for a "responsible for the load" role (e.g. border posts).
role_authorities = Table(
    "role_authorities",
    metadata,
    Column("role_id", Uuid, ForeignKey("roles.id"), nullable=False),
    Column("authority_id", Uuid, ForeignKey("organizations.id"), nullable=False),
    PrimaryKeyConstraint("role_id", "authority_id"),
    Index("role_authorities_authority", "authority_id"),
)

# --------------------------------------------------------------------------------- audit trail

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    timestamp("occurred_at", now=True),
    # NULL when the registry itself acted (scheduled job, identity's event).
    Column("actor_user_id", Uuid),
    Column("actor_name", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("subject_type", Text, nullable=False),
    Column("subject_id", Uuid, nullable=False),
    Column("target_user_id", Uuid),
    Column("organization_id", Uuid),
    # Organizations whose administrators and authorities may read this entry.
    Column("scope_organization_ids", ARRAY(Uuid), nullable=False, server_default=text("'{}'")),
    Column("reason", Text),
    Column("details", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Index("audit_log_scope", "scope_organization_ids", postgresql_using="gin"),
    Index("audit_log_subject", "subject_id"),
)
append_only(audit_log)
# One exception to append-only (issue 18): when identity deletes an account, the user's name as
# the actor of entries becomes their pseudonym, in a transaction that names that user in the
# setting gatehouse.pseudonymising (users/deletion_queries.py). Any other change still fails.
after_create(audit_log, AUDIT_LOG_PSEUDONYMISABLE)

# Events consumed from other services, recorded in the transaction that acted on them, so a
# redelivered event is acknowledged without acting twice.
handled_events = Table(
    "handled_events",
    metadata,
    Column("event_id", Uuid, primary_key=True),
    Column("event_type", Text, nullable=False),
    timestamp("handled_at", now=True),
)

# ------------------------------------------------------------------------------ web services

# An operator's administrator asks for web-service access for the operator (issue 19); its
# competent authority approves or rejects it; approved access may later be revoked.
web_service_requests = Table(
    "web_service_requests",
    metadata,
    Column("id", Uuid, primary_key=True),
    _organization_id(),
    Column("requested_by", Uuid, nullable=False),
    Column("system_name", Text, nullable=False),
    Column("contact_email", Text, nullable=False),
    Column("purpose", Text, nullable=False),
    Column("status", Text, nullable=False),
    timestamp("requested_at", now=True),
    Column("decided_by", Uuid),
    timestamp("decided_at"),
    Column("decision_reason", Text),
    CheckConstraint(
        "status IN ('pending', 'approved', 'rejected', 'revoked')",
        name="web_service_requests_status_check",
    ),
    Index("web_service_requests_organization", "organization_id"),
)

# The machine clients made in identity for an operator under approved access. The registry
# refuses a revoked one's tokens at once; `removed_at_identity` is set once identity confirmed
# the client is gone (a job retries until then: web_services.sync).
machine_clients = Table(
    "machine_clients",
    metadata,
    Column("client_id", Text, primary_key=True),
    _organization_id(),
    Column("request_id", Uuid, ForeignKey("web_service_requests.id"), nullable=False),
    Column("auth_method", Text, nullable=False),
    Column("scopes", ARRAY(Text), nullable=False),
    Column("status", Text, nullable=False),
    Column("created_by", Uuid, nullable=False),
    timestamp("created_at", now=True),
    Column("rotated_by", Uuid),
    timestamp("rotated_at"),
    Column("revoked_by", Uuid),
    timestamp("revoked_at"),
    Column("revocation_reason", Text),
    timestamp("removed_at_identity"),
    CheckConstraint("status IN ('active', 'revoked')", name="machine_clients_status_check"),
    CheckConstraint(
        "auth_method IN ('private_key_jwt', 'client_secret_basic')",
        name="machine_clients_auth_method_check",
    ),
    Index("machine_clients_organization", "organization_id"),
    Index("machine_clients_request", "request_id"),
)
