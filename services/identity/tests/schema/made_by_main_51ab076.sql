-- A identity database made by main at 51ab076 (before Alembic): `python -m gatehouse_identity migrate`
-- ran yoyo's migrations (its bookkeeping tables _yoyo_* and yoyo_lock are here), then a row or
-- two was written to every table, and the result was dumped with
-- `pg_dump --no-owner --no-privileges --inserts --no-comments` (PostgreSQL 18.6). Lines only psql
-- understands (\restrict) and settings PostgreSQL 15 lacks (transaction_timeout) were removed, so
-- that any PostgreSQL the tests run against can load it. test_schema.py upgrades it with Alembic.
--
-- PostgreSQL database dump
--


-- Dumped from database version 18.6
-- Dumped by pg_dump version 18.6

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: audit_log_is_append_only(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.audit_log_is_append_only() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END
$$;


--
-- Name: oidc_session_ended(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.oidc_session_ended() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    WITH ended AS (
        UPDATE oidc_grants SET revoked_at = now(), revoked_reason = 'session_ended'
         WHERE session_id_hash = OLD.id_hash AND revoked_at IS NULL
        RETURNING client_id, user_id, sid
    )
    INSERT INTO oidc_backchannel_logouts (client_id, user_id, sid)
    SELECT DISTINCT ended.client_id, ended.user_id, ended.sid
      FROM ended JOIN oidc_clients USING (client_id)
     WHERE oidc_clients.backchannel_logout_uri IS NOT NULL
    ON CONFLICT (client_id, sid) DO NOTHING;
    IF FOUND THEN
        PERFORM pg_notify('oidc_backchannel_logout', '');
    END IF;
    RETURN OLD;
END
$$;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: _yoyo_log; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public._yoyo_log (
    id character varying(36) NOT NULL,
    migration_hash character varying(64),
    migration_id character varying(255),
    operation character varying(10),
    username character varying(255),
    hostname character varying(255),
    comment character varying(255),
    created_at_utc timestamp without time zone
);


--
-- Name: _yoyo_migration; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public._yoyo_migration (
    migration_hash character varying(64) NOT NULL,
    migration_id character varying(255),
    applied_at_utc timestamp without time zone
);


--
-- Name: _yoyo_version; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public._yoyo_version (
    version integer NOT NULL,
    installed_at_utc timestamp without time zone
);


--
-- Name: audit_log; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.audit_log (
    id bigint NOT NULL,
    occurred_at timestamp with time zone DEFAULT now() NOT NULL,
    user_id uuid,
    kind text NOT NULL,
    ip_address text,
    user_agent text,
    detail jsonb DEFAULT '{}'::jsonb NOT NULL,
    CONSTRAINT audit_log_detail_check CHECK ((jsonb_typeof(detail) = 'object'::text)),
    CONSTRAINT audit_log_ip_address_check CHECK ((length(ip_address) <= 100)),
    CONSTRAINT audit_log_kind_check CHECK ((kind ~ '^[a-z][a-z_]*(\.[a-z][a-z_]*)+$'::text)),
    CONSTRAINT audit_log_user_agent_check CHECK ((length(user_agent) <= 300))
);


--
-- Name: audit_log_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.audit_log ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.audit_log_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: captcha_challenges; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.captcha_challenges (
    id uuid NOT NULL,
    answer text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    used_at timestamp with time zone
);


--
-- Name: eid_links; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.eid_links (
    provider text NOT NULL,
    subject text NOT NULL,
    user_id uuid NOT NULL,
    linked_at timestamp with time zone DEFAULT now() NOT NULL,
    last_used_at timestamp with time zone
);


--
-- Name: eid_states; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.eid_states (
    state_hash bytea NOT NULL,
    browser_binding bytea NOT NULL,
    provider text NOT NULL,
    purpose text NOT NULL,
    user_id uuid,
    session_id_hash bytea,
    nonce text NOT NULL,
    code_verifier text NOT NULL,
    next text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    CONSTRAINT eid_states_purpose_check CHECK ((purpose = ANY (ARRAY['login'::text, 'link'::text])))
);


--
-- Name: mfa_challenges; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.mfa_challenges (
    id uuid NOT NULL,
    user_id uuid NOT NULL,
    session_hash bytea NOT NULL,
    kind text NOT NULL,
    challenge bytea NOT NULL,
    number smallint,
    status text DEFAULT 'pending'::text NOT NULL,
    factor_id uuid,
    wrong_attempts integer DEFAULT 0 NOT NULL,
    origin_ip text,
    origin_user_agent text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    answered_at timestamp with time zone,
    CONSTRAINT mfa_challenges_kind_check CHECK ((kind = ANY (ARRAY['push'::text, 'qr'::text, 'webauthn_registration'::text, 'webauthn_authentication'::text, 'sms_sign_in'::text, 'sms_enrolment'::text]))),
    CONSTRAINT mfa_challenges_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'approved'::text, 'denied'::text, 'rejected'::text, 'used'::text])))
);


--
-- Name: mobile_devices; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.mobile_devices (
    factor_id uuid NOT NULL,
    enrolment_token_hash bytea,
    pin_verifier_encrypted bytea NOT NULL,
    key_type text,
    public_key bytea,
    ocra_key_encrypted bytea,
    device_token_hash bytea,
    failed_pins integer DEFAULT 0 NOT NULL,
    registered_at timestamp with time zone,
    CONSTRAINT mobile_devices_key_type_check CHECK ((key_type = ANY (ARRAY['ed25519'::text, 'p256'::text])))
);


--
-- Name: oidc_access_tokens; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.oidc_access_tokens (
    token_hash bytea NOT NULL,
    grant_id uuid NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL
);


--
-- Name: oidc_authorization_codes; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.oidc_authorization_codes (
    code_hash bytea NOT NULL,
    grant_id uuid NOT NULL,
    redirect_uri text NOT NULL,
    code_challenge text,
    nonce text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    used_at timestamp with time zone
);


--
-- Name: oidc_authorization_requests; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.oidc_authorization_requests (
    id text NOT NULL,
    client_id text NOT NULL,
    params jsonb NOT NULL,
    login_redirects integer DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL
);


--
-- Name: oidc_backchannel_logouts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.oidc_backchannel_logouts (
    id bigint NOT NULL,
    client_id text NOT NULL,
    user_id uuid NOT NULL,
    sid text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    delivered_at timestamp with time zone,
    abandoned_at timestamp with time zone,
    last_error text
);


--
-- Name: oidc_backchannel_logouts_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.oidc_backchannel_logouts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: oidc_backchannel_logouts_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.oidc_backchannel_logouts_id_seq OWNED BY public.oidc_backchannel_logouts.id;


--
-- Name: oidc_clients; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.oidc_clients (
    client_id text NOT NULL,
    name text NOT NULL,
    secret_hash bytea,
    redirect_uris text[] NOT NULL,
    post_logout_redirect_uris text[] DEFAULT '{}'::text[] NOT NULL,
    backchannel_logout_uri text,
    min_level text NOT NULL,
    first_party boolean DEFAULT false NOT NULL,
    scopes text[] NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT oidc_clients_client_id_check CHECK ((client_id ~ '^[A-Za-z0-9._-]{1,100}$'::text)),
    CONSTRAINT oidc_clients_min_level_check CHECK ((min_level = ANY (ARRAY['password'::text, 'multi_factor'::text, 'phishing_resistant'::text])))
);


--
-- Name: oidc_consents; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.oidc_consents (
    user_id uuid NOT NULL,
    client_id text NOT NULL,
    scopes text[] NOT NULL,
    granted_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: oidc_grants; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.oidc_grants (
    id uuid NOT NULL,
    client_id text NOT NULL,
    user_id uuid NOT NULL,
    session_id_hash bytea,
    sid text NOT NULL,
    scopes text[] NOT NULL,
    level text NOT NULL,
    amr text[] NOT NULL,
    auth_time timestamp with time zone NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    revoked_at timestamp with time zone,
    revoked_reason text
);


--
-- Name: oidc_refresh_tokens; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.oidc_refresh_tokens (
    token_hash bytea NOT NULL,
    grant_id uuid NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    used_at timestamp with time zone
);


--
-- Name: oidc_signing_keys; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.oidc_signing_keys (
    kid text NOT NULL,
    alg text NOT NULL,
    public_jwk jsonb NOT NULL,
    private_jwk_encrypted bytea NOT NULL,
    sign_from timestamp with time zone NOT NULL,
    sign_until timestamp with time zone NOT NULL,
    publish_until timestamp with time zone NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: oidc_user_settings; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.oidc_user_settings (
    user_id uuid NOT NULL,
    warn_each_time boolean DEFAULT false NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: outbox_events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.outbox_events (
    id uuid NOT NULL,
    event_type text NOT NULL,
    source text NOT NULL,
    subject text NOT NULL,
    payload bytea NOT NULL,
    headers jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    published_at timestamp with time zone,
    publish_attempts integer DEFAULT 0 NOT NULL,
    last_error text
);


--
-- Name: password_failure_buckets; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.password_failure_buckets (
    user_id uuid NOT NULL,
    bucket text NOT NULL,
    failures integer DEFAULT 0 NOT NULL,
    blocked_at timestamp with time zone
);


--
-- Name: password_links; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.password_links (
    token_hash bytea NOT NULL,
    user_id uuid NOT NULL,
    purpose text NOT NULL,
    event_id uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    used_at timestamp with time zone,
    CONSTRAINT password_links_purpose_check CHECK ((purpose = ANY (ARRAY['set'::text, 'reset'::text])))
);


--
-- Name: phone_numbers; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.phone_numbers (
    factor_id uuid NOT NULL,
    user_id uuid NOT NULL,
    e164 text NOT NULL
);


--
-- Name: rate_limit_counters; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.rate_limit_counters (
    bucket text NOT NULL,
    window_start timestamp with time zone NOT NULL,
    hits integer NOT NULL
);


--
-- Name: recovery_codes; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.recovery_codes (
    user_id uuid NOT NULL,
    code_hash bytea NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    used_at timestamp with time zone
);


--
-- Name: second_factor_failure_bursts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.second_factor_failure_bursts (
    id bigint NOT NULL,
    user_id uuid NOT NULL,
    method text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: second_factor_failure_bursts_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.second_factor_failure_bursts ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.second_factor_failure_bursts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: second_factor_failures; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.second_factor_failures (
    session_hash bytea NOT NULL,
    method text NOT NULL,
    failures integer NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: second_factors; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.second_factors (
    id uuid NOT NULL,
    user_id uuid NOT NULL,
    method text NOT NULL,
    name text NOT NULL,
    status text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    confirmed_at timestamp with time zone,
    last_used_at timestamp with time zone,
    pending_until timestamp with time zone,
    enrolled_by bytea,
    CONSTRAINT second_factors_method_check CHECK ((method = ANY (ARRAY['totp'::text, 'mobile_app'::text, 'webauthn'::text, 'sms'::text]))),
    CONSTRAINT second_factors_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'active'::text, 'locked'::text])))
);


--
-- Name: sessions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sessions (
    id_hash bytea NOT NULL,
    user_id uuid NOT NULL,
    amr text[] NOT NULL,
    level text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_seen_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    ip_address text,
    user_agent text,
    second_factor_at timestamp with time zone
);


--
-- Name: totp_authenticators; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.totp_authenticators (
    factor_id uuid NOT NULL,
    secret_encrypted bytea NOT NULL
);


--
-- Name: totp_last_steps; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.totp_last_steps (
    user_id uuid NOT NULL,
    last_step bigint NOT NULL
);


--
-- Name: users; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.users (
    id uuid NOT NULL,
    email text NOT NULL,
    email_normalized text NOT NULL,
    first_name text NOT NULL,
    last_name text NOT NULL,
    email_language text NOT NULL,
    status text NOT NULL,
    password_hash text,
    blocked_at timestamp with time zone,
    password_changed_at timestamp with time zone,
    privacy_statement_version text NOT NULL,
    privacy_statement_accepted_at timestamp with time zone NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    always_require_mfa boolean DEFAULT false NOT NULL,
    webauthn_user_handle bytea,
    CONSTRAINT users_status_check CHECK ((status = ANY (ARRAY['pending_password'::text, 'active'::text, 'blocked'::text])))
);


--
-- Name: webauthn_credentials; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.webauthn_credentials (
    factor_id uuid NOT NULL,
    credential_id bytea NOT NULL,
    public_key bytea NOT NULL,
    sign_count bigint NOT NULL,
    transports text[] DEFAULT '{}'::text[] NOT NULL,
    device_type text NOT NULL,
    backed_up boolean NOT NULL,
    aaguid text NOT NULL,
    CONSTRAINT webauthn_credentials_device_type_check CHECK ((device_type = ANY (ARRAY['single_device'::text, 'multi_device'::text])))
);


--
-- Name: yoyo_lock; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.yoyo_lock (
    locked integer DEFAULT 1 NOT NULL,
    ctime timestamp without time zone,
    pid integer NOT NULL
);


--
-- Name: oidc_backchannel_logouts id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.oidc_backchannel_logouts ALTER COLUMN id SET DEFAULT nextval('public.oidc_backchannel_logouts_id_seq'::regclass);


--
-- Data for Name: _yoyo_log; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public._yoyo_log VALUES ('39897790-ef1b-11f1-b8a3-02fc00000001', '1c8b500f530f7762ec3a03d4a34d3a58cb635505c5caf82796a9f061c3f7ced1', '0001_outbox', 'apply', 'gatehouse', 'localhost', NULL, '2026-12-03 13:12:43.366946');
INSERT INTO public._yoyo_log VALUES ('398c235a-ef1b-11f1-b8a3-02fc00000001', '2a71da438cf4258aa4441f8d7eb5bd583ca73b65e0dee9b45650def5599e9525', '0002_accounts', 'apply', 'gatehouse', 'localhost', NULL, '2026-12-03 13:12:43.38386');
INSERT INTO public._yoyo_log VALUES ('3991d4da-ef1b-11f1-b8a3-02fc00000001', '8d47a46cecf2834a78e75208bdc113a2beb6a43480302993fb19f695e114efb2', '0003_second_factors', 'apply', 'gatehouse', 'localhost', NULL, '2026-12-03 13:12:43.421175');
INSERT INTO public._yoyo_log VALUES ('399936a8-ef1b-11f1-b8a3-02fc00000001', 'd465b82a87b79a10fbbee8c7a2cae77a646225ac0aedb5fadffff880434280e7', '0004_oidc', 'apply', 'gatehouse', 'localhost', NULL, '2026-12-03 13:12:43.469529');
INSERT INTO public._yoyo_log VALUES ('399b2968-ef1b-11f1-b8a3-02fc00000001', 'fabdeca3cda2c9f3588e035aa37fb786cf04504e41cdc5b24127443837b830d7', '0005_throttling', 'apply', 'gatehouse', 'localhost', NULL, '2026-12-03 13:12:43.482336');
INSERT INTO public._yoyo_log VALUES ('399d14e4-ef1b-11f1-b8a3-02fc00000001', '3106905c2b58473333ea69420a668652c6e05dac1a1a742bcac888c06ba7de53', '0006_audit_log', 'apply', 'gatehouse', 'localhost', NULL, '2026-12-03 13:12:43.494889');


--
-- Data for Name: _yoyo_migration; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public._yoyo_migration VALUES ('1c8b500f530f7762ec3a03d4a34d3a58cb635505c5caf82796a9f061c3f7ced1', '0001_outbox', '2026-12-03 13:12:43.368432');
INSERT INTO public._yoyo_migration VALUES ('2a71da438cf4258aa4441f8d7eb5bd583ca73b65e0dee9b45650def5599e9525', '0002_accounts', '2026-12-03 13:12:43.385351');
INSERT INTO public._yoyo_migration VALUES ('8d47a46cecf2834a78e75208bdc113a2beb6a43480302993fb19f695e114efb2', '0003_second_factors', '2026-12-03 13:12:43.421888');
INSERT INTO public._yoyo_migration VALUES ('d465b82a87b79a10fbbee8c7a2cae77a646225ac0aedb5fadffff880434280e7', '0004_oidc', '2026-12-03 13:12:43.470117');
INSERT INTO public._yoyo_migration VALUES ('fabdeca3cda2c9f3588e035aa37fb786cf04504e41cdc5b24127443837b830d7', '0005_throttling', '2026-12-03 13:12:43.482884');
INSERT INTO public._yoyo_migration VALUES ('3106905c2b58473333ea69420a668652c6e05dac1a1a742bcac888c06ba7de53', '0006_audit_log', '2026-12-03 13:12:43.495526');


--
-- Data for Name: _yoyo_version; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public._yoyo_version VALUES (2, '2026-12-03 13:12:43.169317');


--
-- Data for Name: audit_log; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.audit_log OVERRIDING SYSTEM VALUE VALUES (1, '2026-01-05 08:01:00+00', '11111111-1111-4111-8111-111111111111', 'sign_in.succeeded', '192.0.2.10', 'Mozilla/5.0', '{"level": "multi_factor", "method": "totp"}');
INSERT INTO public.audit_log OVERRIDING SYSTEM VALUE VALUES (2, '2026-01-05 08:03:00+00', NULL, 'sign_in.failed', '198.51.100.7', NULL, '{}');


--
-- Data for Name: captcha_challenges; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.captcha_challenges VALUES ('44444444-4444-4444-8444-444444444444', 'K7PX2', '2026-01-05 08:00:00+00', '2026-01-05 08:10:00+00', NULL);


--
-- Data for Name: eid_links; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.eid_links VALUES ('bankid', '199001011234', '11111111-1111-4111-8111-111111111111', '2026-01-03 10:00:00+00', NULL);


--
-- Data for Name: eid_states; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.eid_states VALUES ('\x5a01', '\x5b01', 'bankid', 'link', '11111111-1111-4111-8111-111111111111', '\xbb01', 'n-2', 'verifier', '/account', '2026-01-05 08:02:00+00', '2026-01-05 08:12:00+00');


--
-- Data for Name: mfa_challenges; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.mfa_challenges VALUES ('66666666-6666-4666-8666-666666666666', '11111111-1111-4111-8111-111111111111', '\xbb01', 'push', '\x0badc0de', 42, 'approved', '55555555-0000-4000-8000-000000000002', 0, '192.0.2.10', 'Mozilla/5.0', '2026-01-05 08:00:30+00', '2026-01-05 08:05:30+00', '2026-01-05 08:00:50+00');


--
-- Data for Name: mobile_devices; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.mobile_devices VALUES ('55555555-0000-4000-8000-000000000002', NULL, '\x70696e', 'ed25519', '\x6b6579', '\x6f637261', '\xcc01', 1, '2026-01-02 10:08:00+00');


--
-- Data for Name: oidc_access_tokens; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.oidc_access_tokens VALUES ('\x0a01', '77777777-7777-4777-8777-777777777777', '2026-01-05 08:01:07+00', '2026-01-05 09:01:07+00');


--
-- Data for Name: oidc_authorization_codes; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.oidc_authorization_codes VALUES ('\x0c01', '77777777-7777-4777-8777-777777777777', 'https://registry.example/auth/callback', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', 'n-1', '2026-01-05 08:01:05+00', '2026-01-05 08:02:05+00', '2026-01-05 08:01:07+00');


--
-- Data for Name: oidc_authorization_requests; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.oidc_authorization_requests VALUES ('req-1', 'registry', '{"scope": "openid", "state": "s1", "nested": {"list": [1, 2, 3]}}', 1, '2026-01-05 08:00:00+00', '2026-01-05 08:10:00+00');


--
-- Data for Name: oidc_backchannel_logouts; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.oidc_backchannel_logouts VALUES (1, 'registry', '11111111-1111-4111-8111-111111111111', 'sid-0', '2026-01-04 08:00:00+00', 2, '2026-01-04 08:05:00+00', NULL, NULL, 'connection refused');


--
-- Data for Name: oidc_clients; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.oidc_clients VALUES ('registry', 'Registry', '\xff01', '{https://registry.example/auth/callback}', '{https://registry.example/}', 'https://registry.example/auth/backchannel-logout', 'multi_factor', true, '{openid,profile,email}', '2026-01-01 00:00:00+00', '2026-01-01 00:00:00+00');


--
-- Data for Name: oidc_consents; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.oidc_consents VALUES ('11111111-1111-4111-8111-111111111111', 'registry', '{openid,email}', '2026-01-05 08:01:00+00');


--
-- Data for Name: oidc_grants; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.oidc_grants VALUES ('77777777-7777-4777-8777-777777777777', 'registry', '11111111-1111-4111-8111-111111111111', '\xbb01', 'sid-1', '{openid,email}', 'multi_factor', '{pwd,otp}', '2026-01-05 08:01:00+00', '2026-01-05 08:01:05+00', '2026-02-05 08:01:05+00', NULL, NULL);


--
-- Data for Name: oidc_refresh_tokens; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.oidc_refresh_tokens VALUES ('\x0b01', '77777777-7777-4777-8777-777777777777', '2026-01-05 08:01:07+00', '2026-02-05 08:01:07+00', NULL);


--
-- Data for Name: oidc_signing_keys; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.oidc_signing_keys VALUES ('k1', 'ES256', '{"x": "abc", "y": "def", "crv": "P-256", "kid": "k1", "kty": "EC"}', '\x676b6579', '2026-01-01 00:00:00+00', '2026-04-01 00:00:00+00', '2026-04-02 00:00:00+00', '2026-01-01 00:00:00+00');


--
-- Data for Name: oidc_user_settings; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.oidc_user_settings VALUES ('11111111-1111-4111-8111-111111111111', true, '2026-01-05 08:00:00+00');


--
-- Data for Name: outbox_events; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.outbox_events VALUES ('88888888-8888-4888-8888-888888888881', 'identity.user.created', 'identity', '22222222-2222-4222-8222-222222222222', '\x0a0462797465', '{"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}', '2026-01-03 09:00:00+00', '2026-01-03 09:00:01+00', 0, NULL);
INSERT INTO public.outbox_events VALUES ('88888888-8888-4888-8888-888888888882', 'identity.user.password_changed', 'identity', '11111111-1111-4111-8111-111111111111', '\x0a01', '{}', '2026-01-05 08:04:00+00', NULL, 3, 'nats: timeout');


--
-- Data for Name: password_failure_buckets; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.password_failure_buckets VALUES ('11111111-1111-4111-8111-111111111111', 'unknown', 5, '2026-01-04 06:00:00+00');
INSERT INTO public.password_failure_buckets VALUES ('11111111-1111-4111-8111-111111111111', 'device:abc', 1, NULL);


--
-- Data for Name: password_links; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.password_links VALUES ('\xaa01', '22222222-2222-4222-8222-222222222222', 'set', '33333333-3333-4333-8333-333333333333', '2026-01-03 09:00:00+00', '2026-01-04 09:00:00+00', NULL);


--
-- Data for Name: phone_numbers; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.phone_numbers VALUES ('55555555-0000-4000-8000-000000000004', '11111111-1111-4111-8111-111111111111', '+46701234567');


--
-- Data for Name: rate_limit_counters; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.rate_limit_counters VALUES ('ip:192.0.2.10', '2026-01-05 08:00:00+00', 3);


--
-- Data for Name: recovery_codes; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.recovery_codes VALUES ('11111111-1111-4111-8111-111111111111', '\xee01', '2026-01-02 10:06:00+00', NULL);
INSERT INTO public.recovery_codes VALUES ('11111111-1111-4111-8111-111111111111', '\xee02', '2026-01-02 10:06:00+00', '2026-01-04 12:00:00+00');


--
-- Data for Name: second_factor_failure_bursts; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.second_factor_failure_bursts OVERRIDING SYSTEM VALUE VALUES (1, '11111111-1111-4111-8111-111111111111', 'totp', '2026-01-04 07:00:00+00');


--
-- Data for Name: second_factor_failures; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.second_factor_failures VALUES ('\xbb01', 'totp', 2, '2026-01-05 08:00:40+00');


--
-- Data for Name: second_factors; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.second_factors VALUES ('55555555-0000-4000-8000-000000000001', '11111111-1111-4111-8111-111111111111', 'totp', 'Telefonen', 'active', '2026-01-02 10:05:00+00', '2026-01-02 10:06:00+00', '2026-01-05 08:01:00+00', NULL, NULL);
INSERT INTO public.second_factors VALUES ('55555555-0000-4000-8000-000000000002', '11111111-1111-4111-8111-111111111111', 'mobile_app', 'EU Login App', 'active', '2026-01-02 10:07:00+00', '2026-01-02 10:08:00+00', NULL, NULL, '\xbb01');
INSERT INTO public.second_factors VALUES ('55555555-0000-4000-8000-000000000003', '11111111-1111-4111-8111-111111111111', 'webauthn', 'YubiKey', 'active', '2026-01-02 10:09:00+00', '2026-01-02 10:09:30+00', NULL, NULL, NULL);
INSERT INTO public.second_factors VALUES ('55555555-0000-4000-8000-000000000004', '11111111-1111-4111-8111-111111111111', 'sms', '+46 70 123 45 67', 'pending', '2026-01-02 10:10:00+00', NULL, NULL, '2026-01-02 10:20:00+00', NULL);


--
-- Data for Name: sessions; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.sessions VALUES ('\xbb01', '11111111-1111-4111-8111-111111111111', '{pwd,otp}', 'multi_factor', '2026-01-05 08:00:00+00', '2026-01-05 08:10:00+00', '2026-01-05 20:00:00+00', '192.0.2.10', 'Mozilla/5.0 (X11; Linux x86_64)', '2026-01-05 08:01:00+00');


--
-- Data for Name: totp_authenticators; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.totp_authenticators VALUES ('55555555-0000-4000-8000-000000000001', '\x6741414141');


--
-- Data for Name: totp_last_steps; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.totp_last_steps VALUES ('11111111-1111-4111-8111-111111111111', 59157123);


--
-- Data for Name: users; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.users VALUES ('11111111-1111-4111-8111-111111111111', 'Anna.Svensson@Example.se', 'anna.svensson@example.se', 'Anna', 'Svensson', 'sv', 'active', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g', NULL, '2026-01-02 10:00:00+00', '2024-01', '2026-01-01 09:00:00+00', '2026-01-01 09:00:00+00', '2026-01-02 10:00:00+00', true, '\x0102030405');
INSERT INTO public.users VALUES ('22222222-2222-4222-8222-222222222222', 'bo@example.com', 'bo@example.com', 'Bo', 'Ek', 'en', 'pending_password', NULL, NULL, NULL, '2024-01', '2026-01-03 09:00:00+00', '2026-01-03 09:00:00+00', '2026-01-03 09:00:00+00', false, NULL);


--
-- Data for Name: webauthn_credentials; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.webauthn_credentials VALUES ('55555555-0000-4000-8000-000000000003', '\xdd01', '\xa50102', 7, '{usb,nfc}', 'single_device', false, 'ee882879-721c-4913-9775-3dfcce97072a');


--
-- Data for Name: yoyo_lock; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Name: audit_log_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.audit_log_id_seq', 2, true);


--
-- Name: oidc_backchannel_logouts_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.oidc_backchannel_logouts_id_seq', 1, true);


--
-- Name: second_factor_failure_bursts_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.second_factor_failure_bursts_id_seq', 1, true);


--
-- Name: _yoyo_log _yoyo_log_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public._yoyo_log
    ADD CONSTRAINT _yoyo_log_pkey PRIMARY KEY (id);


--
-- Name: _yoyo_migration _yoyo_migration_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public._yoyo_migration
    ADD CONSTRAINT _yoyo_migration_pkey PRIMARY KEY (migration_hash);


--
-- Name: _yoyo_version _yoyo_version_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public._yoyo_version
    ADD CONSTRAINT _yoyo_version_pkey PRIMARY KEY (version);


--
-- Name: audit_log audit_log_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_log
    ADD CONSTRAINT audit_log_pkey PRIMARY KEY (id);


--
-- Name: captcha_challenges captcha_challenges_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.captcha_challenges
    ADD CONSTRAINT captcha_challenges_pkey PRIMARY KEY (id);


--
-- Name: eid_links eid_links_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.eid_links
    ADD CONSTRAINT eid_links_pkey PRIMARY KEY (provider, subject);


--
-- Name: eid_links eid_links_user_id_provider_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.eid_links
    ADD CONSTRAINT eid_links_user_id_provider_key UNIQUE (user_id, provider);


--
-- Name: eid_states eid_states_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.eid_states
    ADD CONSTRAINT eid_states_pkey PRIMARY KEY (state_hash);


--
-- Name: mfa_challenges mfa_challenges_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.mfa_challenges
    ADD CONSTRAINT mfa_challenges_pkey PRIMARY KEY (id);


--
-- Name: mobile_devices mobile_devices_device_token_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.mobile_devices
    ADD CONSTRAINT mobile_devices_device_token_hash_key UNIQUE (device_token_hash);


--
-- Name: mobile_devices mobile_devices_enrolment_token_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.mobile_devices
    ADD CONSTRAINT mobile_devices_enrolment_token_hash_key UNIQUE (enrolment_token_hash);


--
-- Name: mobile_devices mobile_devices_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.mobile_devices
    ADD CONSTRAINT mobile_devices_pkey PRIMARY KEY (factor_id);


--
-- Name: oidc_access_tokens oidc_access_tokens_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.oidc_access_tokens
    ADD CONSTRAINT oidc_access_tokens_pkey PRIMARY KEY (token_hash);


--
-- Name: oidc_authorization_codes oidc_authorization_codes_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.oidc_authorization_codes
    ADD CONSTRAINT oidc_authorization_codes_pkey PRIMARY KEY (code_hash);


--
-- Name: oidc_authorization_requests oidc_authorization_requests_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.oidc_authorization_requests
    ADD CONSTRAINT oidc_authorization_requests_pkey PRIMARY KEY (id);


--
-- Name: oidc_backchannel_logouts oidc_backchannel_logouts_client_id_sid_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.oidc_backchannel_logouts
    ADD CONSTRAINT oidc_backchannel_logouts_client_id_sid_key UNIQUE (client_id, sid);


--
-- Name: oidc_backchannel_logouts oidc_backchannel_logouts_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.oidc_backchannel_logouts
    ADD CONSTRAINT oidc_backchannel_logouts_pkey PRIMARY KEY (id);


--
-- Name: oidc_clients oidc_clients_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.oidc_clients
    ADD CONSTRAINT oidc_clients_pkey PRIMARY KEY (client_id);


--
-- Name: oidc_consents oidc_consents_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.oidc_consents
    ADD CONSTRAINT oidc_consents_pkey PRIMARY KEY (user_id, client_id);


--
-- Name: oidc_grants oidc_grants_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.oidc_grants
    ADD CONSTRAINT oidc_grants_pkey PRIMARY KEY (id);


--
-- Name: oidc_refresh_tokens oidc_refresh_tokens_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.oidc_refresh_tokens
    ADD CONSTRAINT oidc_refresh_tokens_pkey PRIMARY KEY (token_hash);


--
-- Name: oidc_signing_keys oidc_signing_keys_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.oidc_signing_keys
    ADD CONSTRAINT oidc_signing_keys_pkey PRIMARY KEY (kid);


--
-- Name: oidc_user_settings oidc_user_settings_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.oidc_user_settings
    ADD CONSTRAINT oidc_user_settings_pkey PRIMARY KEY (user_id);


--
-- Name: outbox_events outbox_events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.outbox_events
    ADD CONSTRAINT outbox_events_pkey PRIMARY KEY (id);


--
-- Name: password_failure_buckets password_failure_buckets_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.password_failure_buckets
    ADD CONSTRAINT password_failure_buckets_pkey PRIMARY KEY (user_id, bucket);


--
-- Name: password_links password_links_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.password_links
    ADD CONSTRAINT password_links_pkey PRIMARY KEY (token_hash);


--
-- Name: phone_numbers phone_numbers_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.phone_numbers
    ADD CONSTRAINT phone_numbers_pkey PRIMARY KEY (factor_id);


--
-- Name: phone_numbers phone_numbers_user_id_e164_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.phone_numbers
    ADD CONSTRAINT phone_numbers_user_id_e164_key UNIQUE (user_id, e164);


--
-- Name: rate_limit_counters rate_limit_counters_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rate_limit_counters
    ADD CONSTRAINT rate_limit_counters_pkey PRIMARY KEY (bucket, window_start);


--
-- Name: recovery_codes recovery_codes_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.recovery_codes
    ADD CONSTRAINT recovery_codes_pkey PRIMARY KEY (user_id, code_hash);


--
-- Name: second_factor_failure_bursts second_factor_failure_bursts_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.second_factor_failure_bursts
    ADD CONSTRAINT second_factor_failure_bursts_pkey PRIMARY KEY (id);


--
-- Name: second_factor_failures second_factor_failures_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.second_factor_failures
    ADD CONSTRAINT second_factor_failures_pkey PRIMARY KEY (session_hash, method);


--
-- Name: second_factors second_factors_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.second_factors
    ADD CONSTRAINT second_factors_pkey PRIMARY KEY (id);


--
-- Name: sessions sessions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sessions
    ADD CONSTRAINT sessions_pkey PRIMARY KEY (id_hash);


--
-- Name: totp_authenticators totp_authenticators_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.totp_authenticators
    ADD CONSTRAINT totp_authenticators_pkey PRIMARY KEY (factor_id);


--
-- Name: totp_last_steps totp_last_steps_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.totp_last_steps
    ADD CONSTRAINT totp_last_steps_pkey PRIMARY KEY (user_id);


--
-- Name: users users_email_normalized_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_email_normalized_key UNIQUE (email_normalized);


--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);


--
-- Name: users users_webauthn_user_handle_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_webauthn_user_handle_key UNIQUE (webauthn_user_handle);


--
-- Name: webauthn_credentials webauthn_credentials_credential_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webauthn_credentials
    ADD CONSTRAINT webauthn_credentials_credential_id_key UNIQUE (credential_id);


--
-- Name: webauthn_credentials webauthn_credentials_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webauthn_credentials
    ADD CONSTRAINT webauthn_credentials_pkey PRIMARY KEY (factor_id);


--
-- Name: yoyo_lock yoyo_lock_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.yoyo_lock
    ADD CONSTRAINT yoyo_lock_pkey PRIMARY KEY (locked);


--
-- Name: audit_log_user; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX audit_log_user ON public.audit_log USING btree (user_id, id DESC) WHERE (user_id IS NOT NULL);


--
-- Name: mfa_challenges_expiry; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX mfa_challenges_expiry ON public.mfa_challenges USING btree (expires_at);


--
-- Name: mfa_challenges_user; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX mfa_challenges_user ON public.mfa_challenges USING btree (user_id, kind, status);


--
-- Name: oidc_access_tokens_grant; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX oidc_access_tokens_grant ON public.oidc_access_tokens USING btree (grant_id);


--
-- Name: oidc_backchannel_logouts_due; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX oidc_backchannel_logouts_due ON public.oidc_backchannel_logouts USING btree (next_attempt_at) WHERE ((delivered_at IS NULL) AND (abandoned_at IS NULL));


--
-- Name: oidc_grants_session; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX oidc_grants_session ON public.oidc_grants USING btree (session_id_hash) WHERE (revoked_at IS NULL);


--
-- Name: oidc_grants_user_client; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX oidc_grants_user_client ON public.oidc_grants USING btree (user_id, client_id);


--
-- Name: oidc_refresh_tokens_grant; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX oidc_refresh_tokens_grant ON public.oidc_refresh_tokens USING btree (grant_id);


--
-- Name: outbox_events_unpublished; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX outbox_events_unpublished ON public.outbox_events USING btree (created_at, id) WHERE (published_at IS NULL);


--
-- Name: password_links_open; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX password_links_open ON public.password_links USING btree (user_id) WHERE (used_at IS NULL);


--
-- Name: rate_limit_counters_age; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX rate_limit_counters_age ON public.rate_limit_counters USING btree (window_start);


--
-- Name: second_factor_failure_bursts_user; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX second_factor_failure_bursts_user ON public.second_factor_failure_bursts USING btree (user_id, created_at);


--
-- Name: second_factors_user; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX second_factors_user ON public.second_factors USING btree (user_id, method);


--
-- Name: sessions_user; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sessions_user ON public.sessions USING btree (user_id);


--
-- Name: audit_log audit_log_no_change; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER audit_log_no_change BEFORE DELETE OR UPDATE ON public.audit_log FOR EACH ROW EXECUTE FUNCTION public.audit_log_is_append_only();


--
-- Name: audit_log audit_log_no_truncate; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON public.audit_log FOR EACH STATEMENT EXECUTE FUNCTION public.audit_log_is_append_only();


--
-- Name: sessions sessions_oidc_logout; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER sessions_oidc_logout AFTER DELETE ON public.sessions FOR EACH ROW EXECUTE FUNCTION public.oidc_session_ended();


--
-- Name: eid_links eid_links_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.eid_links
    ADD CONSTRAINT eid_links_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: eid_states eid_states_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.eid_states
    ADD CONSTRAINT eid_states_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: mfa_challenges mfa_challenges_factor_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.mfa_challenges
    ADD CONSTRAINT mfa_challenges_factor_id_fkey FOREIGN KEY (factor_id) REFERENCES public.second_factors(id) ON DELETE CASCADE;


--
-- Name: mfa_challenges mfa_challenges_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.mfa_challenges
    ADD CONSTRAINT mfa_challenges_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: mobile_devices mobile_devices_factor_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.mobile_devices
    ADD CONSTRAINT mobile_devices_factor_id_fkey FOREIGN KEY (factor_id) REFERENCES public.second_factors(id) ON DELETE CASCADE;


--
-- Name: oidc_access_tokens oidc_access_tokens_grant_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.oidc_access_tokens
    ADD CONSTRAINT oidc_access_tokens_grant_id_fkey FOREIGN KEY (grant_id) REFERENCES public.oidc_grants(id) ON DELETE CASCADE;


--
-- Name: oidc_authorization_codes oidc_authorization_codes_grant_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.oidc_authorization_codes
    ADD CONSTRAINT oidc_authorization_codes_grant_id_fkey FOREIGN KEY (grant_id) REFERENCES public.oidc_grants(id) ON DELETE CASCADE;


--
-- Name: oidc_authorization_requests oidc_authorization_requests_client_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.oidc_authorization_requests
    ADD CONSTRAINT oidc_authorization_requests_client_id_fkey FOREIGN KEY (client_id) REFERENCES public.oidc_clients(client_id) ON DELETE CASCADE;


--
-- Name: oidc_backchannel_logouts oidc_backchannel_logouts_client_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.oidc_backchannel_logouts
    ADD CONSTRAINT oidc_backchannel_logouts_client_id_fkey FOREIGN KEY (client_id) REFERENCES public.oidc_clients(client_id) ON DELETE CASCADE;


--
-- Name: oidc_consents oidc_consents_client_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.oidc_consents
    ADD CONSTRAINT oidc_consents_client_id_fkey FOREIGN KEY (client_id) REFERENCES public.oidc_clients(client_id) ON DELETE CASCADE;


--
-- Name: oidc_consents oidc_consents_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.oidc_consents
    ADD CONSTRAINT oidc_consents_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: oidc_grants oidc_grants_client_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.oidc_grants
    ADD CONSTRAINT oidc_grants_client_id_fkey FOREIGN KEY (client_id) REFERENCES public.oidc_clients(client_id) ON DELETE CASCADE;


--
-- Name: oidc_grants oidc_grants_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.oidc_grants
    ADD CONSTRAINT oidc_grants_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: oidc_refresh_tokens oidc_refresh_tokens_grant_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.oidc_refresh_tokens
    ADD CONSTRAINT oidc_refresh_tokens_grant_id_fkey FOREIGN KEY (grant_id) REFERENCES public.oidc_grants(id) ON DELETE CASCADE;


--
-- Name: oidc_user_settings oidc_user_settings_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.oidc_user_settings
    ADD CONSTRAINT oidc_user_settings_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: password_failure_buckets password_failure_buckets_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.password_failure_buckets
    ADD CONSTRAINT password_failure_buckets_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: password_links password_links_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.password_links
    ADD CONSTRAINT password_links_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: phone_numbers phone_numbers_factor_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.phone_numbers
    ADD CONSTRAINT phone_numbers_factor_id_fkey FOREIGN KEY (factor_id) REFERENCES public.second_factors(id) ON DELETE CASCADE;


--
-- Name: phone_numbers phone_numbers_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.phone_numbers
    ADD CONSTRAINT phone_numbers_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: recovery_codes recovery_codes_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.recovery_codes
    ADD CONSTRAINT recovery_codes_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: second_factor_failure_bursts second_factor_failure_bursts_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.second_factor_failure_bursts
    ADD CONSTRAINT second_factor_failure_bursts_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: second_factors second_factors_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.second_factors
    ADD CONSTRAINT second_factors_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: sessions sessions_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sessions
    ADD CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: totp_authenticators totp_authenticators_factor_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.totp_authenticators
    ADD CONSTRAINT totp_authenticators_factor_id_fkey FOREIGN KEY (factor_id) REFERENCES public.second_factors(id) ON DELETE CASCADE;


--
-- Name: totp_last_steps totp_last_steps_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.totp_last_steps
    ADD CONSTRAINT totp_last_steps_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: webauthn_credentials webauthn_credentials_factor_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.webauthn_credentials
    ADD CONSTRAINT webauthn_credentials_factor_id_fkey FOREIGN KEY (factor_id) REFERENCES public.second_factors(id) ON DELETE CASCADE;


--
-- PostgreSQL database dump complete
--


