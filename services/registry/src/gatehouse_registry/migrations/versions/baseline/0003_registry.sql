-- The registry's domain: reference data, organizations (operators, authorities, organic control
-- bodies, other entities) with their addresses, contacts, identifiers and activities, the
-- registry's copy of its users, their roles, and the append-only audit trail.

-- pg_trgm and unaccent are "trusted" extensions: a database owner may create them without being
-- a superuser, so this runs on managed PostgreSQL as well as on the embedded server.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;

-- unaccent() is only STABLE (its dictionary could be changed), so it cannot be used in an index.
-- This wrapper names the dictionary explicitly and is bound when it is created (SQL-standard
-- body), so its result never changes for the same input: it is safe to declare IMMUTABLE, which
-- lets the search text below be indexed. "Göteborg" and "GOTEBORG" both fold to "goteborg".
CREATE FUNCTION registry_fold(value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN lower(unaccent('unaccent'::regdictionary, value));

-- Reference data -------------------------------------------------------------------------------

CREATE TABLE countries (
    code text PRIMARY KEY CHECK (code ~ '^[A-Z]{2}$'),  -- ISO 3166-1 alpha-2
    name_en text NOT NULL,
    name_sv text NOT NULL,
    eu_member boolean NOT NULL DEFAULT false,
    eea_member boolean NOT NULL DEFAULT false
);

CREATE TABLE chapters (
    code text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{0,39}$'),
    name_en text NOT NULL,
    name_sv text NOT NULL,
    sort_order integer NOT NULL DEFAULT 0
);

CREATE TABLE sections (
    code text PRIMARY KEY CHECK (code ~ '^[A-Z0-9][A-Z0-9 _-]{0,39}$'),
    -- NULL for the chapter-less sections (IMPORTER, EXPORTER, TRANSPORTER, RFL).
    chapter_code text REFERENCES chapters (code),
    name_en text NOT NULL,
    name_sv text NOT NULL
);

CREATE TABLE activity_types (
    code text PRIMARY KEY CHECK (code ~ '^[A-Z0-9][A-Z0-9 _-]{0,59}$'),
    section_code text NOT NULL REFERENCES sections (code),
    name_en text NOT NULL,
    name_sv text NOT NULL,
    UNIQUE (section_code, code)
);

-- Organizations ----------------------------------------------------------------------------------

CREATE TABLE organizations (
    id uuid PRIMARY KEY,
    kind text NOT NULL
        CHECK (kind IN ('operator', 'organic_control_body', 'authority', 'other_entity')),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    country_code text NOT NULL REFERENCES countries (code),
    status text NOT NULL CHECK (status IN ('pending', 'valid', 'rejected')),
    -- Short codes of authorities and control bodies (e.g. SE-SJV-IEK, SEGOT); NULL for operators.
    code text UNIQUE,
    authority_kind text CHECK (authority_kind IN ('central', 'local', 'border_control_post')),
    -- The authority that runs a border control post (it decides for its posts).
    parent_authority_id uuid REFERENCES organizations (id),
    -- Who validates the organization and approves its first user (not set for authorities).
    competent_authority_id uuid REFERENCES organizations (id),
    -- registry_fold(name and main address): what free-text search matches, typos included.
    search_text text NOT NULL,
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    decided_by uuid,
    decided_at timestamptz,
    decision_reason text,
    CHECK ((kind = 'authority') = (authority_kind IS NOT NULL)),
    CHECK (kind = 'authority' OR parent_authority_id IS NULL)
);
-- Partial: only operators are searched by text, and the predicate keeps the index smaller.
CREATE INDEX organizations_operator_search ON organizations
    USING gin (search_text gin_trgm_ops) WHERE kind = 'operator';
CREATE INDEX organizations_by_country ON organizations (kind, country_code, name, id);
CREATE INDEX organizations_competent_authority ON organizations (competent_authority_id);
CREATE INDEX organizations_parent_authority ON organizations (parent_authority_id);

-- The chapters an authority handles (its competence, together with its country).
CREATE TABLE organization_chapters (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    chapter_code text NOT NULL REFERENCES chapters (code),
    PRIMARY KEY (organization_id, chapter_code)
);

CREATE TABLE addresses (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id),
    position smallint NOT NULL,
    is_main boolean NOT NULL DEFAULT false,
    street text NOT NULL,
    postal_code text NOT NULL,
    city text NOT NULL,
    country_code text NOT NULL REFERENCES countries (code),
    UNIQUE (id, organization_id)  -- target of the activities' same-organization foreign key
);
CREATE UNIQUE INDEX addresses_one_main ON addresses (organization_id) WHERE is_main;
CREATE INDEX addresses_organization ON addresses (organization_id, position);

CREATE TABLE contacts (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id),
    position smallint NOT NULL,
    kind text NOT NULL CHECK (kind IN ('phone', 'email')),
    value text NOT NULL
);
CREATE INDEX contacts_organization ON contacts (organization_id, position);

CREATE TABLE identifiers (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id),
    type text NOT NULL CHECK (type IN ('national_registration_number', 'vat', 'eori')),
    country_code text NOT NULL REFERENCES countries (code),
    value text NOT NULL,  -- normalised (compact) form, so "556036-0793" and "5560360793" collide
    -- False once the organization was rejected: its identifiers may then be registered again.
    active boolean NOT NULL DEFAULT true
);
CREATE UNIQUE INDEX identifiers_unique_active ON identifiers (type, country_code, value)
    WHERE active;
CREATE INDEX identifiers_organization ON identifiers (organization_id);

CREATE TABLE activities (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id),
    section_code text NOT NULL,
    activity_type_code text NOT NULL,
    identification_code text NOT NULL,
    valid_from date NOT NULL,
    valid_to date,
    publication_date date,
    application_date date,
    address_id uuid NOT NULL,
    -- The competent authority chosen by country and chapter; it validates the activity.
    authority_id uuid NOT NULL REFERENCES organizations (id),
    status text NOT NULL CHECK (status IN ('pending', 'valid', 'rejected')),
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    decided_by uuid,
    decided_at timestamptz,
    decision_reason text,
    FOREIGN KEY (section_code, activity_type_code) REFERENCES activity_types (section_code, code),
    FOREIGN KEY (address_id, organization_id) REFERENCES addresses (id, organization_id),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE INDEX activities_organization ON activities (organization_id);
CREATE INDEX activities_section ON activities (section_code, organization_id);
CREATE INDEX activities_type ON activities (activity_type_code, organization_id);
CREATE INDEX activities_authority ON activities (authority_id) WHERE status = 'pending';

-- Users and roles -------------------------------------------------------------------------------

-- The registry's copy of identity's users (refreshed at each sign-in); id is identity's user id.
CREATE TABLE users (
    id uuid PRIMARY KEY,
    full_name text NOT NULL,
    email text NOT NULL,
    -- 'inactive' after four months without signing in: no role works until reactivated.
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
    last_sign_in_at timestamptz NOT NULL,
    -- Inactivity counts from here: the last sign-in, or the reactivation if that came later.
    last_seen_at timestamptz NOT NULL,
    inactivity_warned_at timestamptz,
    inactivated_at timestamptz,
    reactivation_requested_at timestamptz,
    reactivation_message text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_active_by_last_seen ON users (last_seen_at) WHERE status = 'active';

-- A role is first requested (pending), then approved or rejected; an approved role may later be
-- revoked. One row carries the whole life, so its id is "the role request id" in events and gRPC.
CREATE TABLE roles (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id),
    organization_id uuid NOT NULL REFERENCES organizations (id),
    kind text NOT NULL CHECK (kind IN ('member', 'responsible_for_load')),
    status text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'revoked')),
    is_admin boolean NOT NULL DEFAULT false,
    -- Set when identity reset the user's devices: the role does not work until unsuspended.
    suspended_at timestamptz,
    message text,
    contact_email text,
    contact_phone text,
    requested_at timestamptz NOT NULL DEFAULT now(),
    decided_by uuid,
    decided_at timestamptz,
    decision_reason text,
    revoked_by uuid,
    revoked_at timestamptz,
    revoke_reason text,
    CHECK (NOT is_admin OR (status = 'approved' AND kind = 'member'))
);
-- One live (pending or approved) request per user, organization and kind of role.
CREATE UNIQUE INDEX roles_one_live ON roles (user_id, organization_id, kind)
    WHERE status IN ('pending', 'approved');
CREATE INDEX roles_organization ON roles (organization_id, status);
CREATE INDEX roles_user ON roles (user_id, status);

-- The authorities named as responsible for a "responsible for the load" role (e.g. border posts).
CREATE TABLE role_authorities (
    role_id uuid NOT NULL REFERENCES roles (id),
    authority_id uuid NOT NULL REFERENCES organizations (id),
    PRIMARY KEY (role_id, authority_id)
);
CREATE INDEX role_authorities_authority ON role_authorities (authority_id);

-- Audit trail -----------------------------------------------------------------------------------

CREATE TABLE audit_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    actor_user_id uuid,  -- NULL when the registry itself acted (scheduled job, identity's event)
    actor_name text NOT NULL,
    action text NOT NULL,
    subject_type text NOT NULL,
    subject_id uuid NOT NULL,
    target_user_id uuid,
    organization_id uuid,
    -- Organizations whose administrators and authorities may read this entry.
    scope_organization_ids uuid[] NOT NULL DEFAULT '{}',
    reason text,
    details jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_scope ON audit_log USING gin (scope_organization_ids);
CREATE INDEX audit_log_subject ON audit_log (subject_id);

-- Append-only, whatever code runs against the table: rows are never changed or removed.
CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();

-- Events consumed from other services, recorded in the transaction that acted on them, so a
-- redelivered event is acknowledged without acting twice.
CREATE TABLE handled_events (
    event_id uuid PRIMARY KEY,
    event_type text NOT NULL,
    handled_at timestamptz NOT NULL DEFAULT now()
);
