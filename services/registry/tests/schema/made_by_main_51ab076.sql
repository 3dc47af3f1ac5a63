-- A registry database made by main at 51ab076 (before Alembic): `python -m gatehouse_registry migrate`
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
-- Name: btree_gin; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS btree_gin WITH SCHEMA public;


--
-- Name: pg_trgm; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;


--
-- Name: unaccent; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public;


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
-- Name: registry_fold(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.registry_fold(value text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN lower(public.unaccent('public.unaccent'::regdictionary, value));


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
-- Name: activities; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.activities (
    id uuid NOT NULL,
    organization_id uuid NOT NULL,
    section_code text NOT NULL,
    activity_type_code text NOT NULL,
    identification_code text NOT NULL,
    valid_from date NOT NULL,
    valid_to date,
    publication_date date,
    application_date date,
    address_id uuid NOT NULL,
    authority_id uuid NOT NULL,
    status text NOT NULL,
    created_by uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    decided_by uuid,
    decided_at timestamp with time zone,
    decision_reason text,
    CONSTRAINT activities_check CHECK (((valid_to IS NULL) OR (valid_to >= valid_from))),
    CONSTRAINT activities_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'valid'::text, 'rejected'::text])))
);


--
-- Name: activity_types; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.activity_types (
    code text NOT NULL,
    section_code text NOT NULL,
    name_en text NOT NULL,
    name_sv text NOT NULL,
    CONSTRAINT activity_types_code_check CHECK ((code ~ '^[A-Z0-9][A-Z0-9 _-]{0,59}$'::text))
);


--
-- Name: addresses; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.addresses (
    id uuid NOT NULL,
    organization_id uuid NOT NULL,
    "position" smallint NOT NULL,
    is_main boolean DEFAULT false NOT NULL,
    street text NOT NULL,
    postal_code text NOT NULL,
    city text NOT NULL,
    country_code text NOT NULL
);


--
-- Name: audit_log; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.audit_log (
    id bigint NOT NULL,
    occurred_at timestamp with time zone DEFAULT now() NOT NULL,
    actor_user_id uuid,
    actor_name text NOT NULL,
    action text NOT NULL,
    subject_type text NOT NULL,
    subject_id uuid NOT NULL,
    target_user_id uuid,
    organization_id uuid,
    scope_organization_ids uuid[] DEFAULT '{}'::uuid[] NOT NULL,
    reason text,
    details jsonb DEFAULT '{}'::jsonb NOT NULL
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
-- Name: auth_login_states; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.auth_login_states (
    state_hash bytea NOT NULL,
    browser_binding bytea NOT NULL,
    nonce text NOT NULL,
    code_verifier text NOT NULL,
    return_to text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL
);


--
-- Name: auth_sessions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.auth_sessions (
    id_hash bytea NOT NULL,
    user_id uuid NOT NULL,
    full_name text NOT NULL,
    email text NOT NULL,
    level text NOT NULL,
    amr text[] NOT NULL,
    identity_sid text,
    id_token text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_seen_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL
);


--
-- Name: chapters; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.chapters (
    code text NOT NULL,
    name_en text NOT NULL,
    name_sv text NOT NULL,
    sort_order integer DEFAULT 0 NOT NULL,
    CONSTRAINT chapters_code_check CHECK ((code ~ '^[a-z][a-z0-9_]{0,39}$'::text))
);


--
-- Name: contacts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.contacts (
    id uuid NOT NULL,
    organization_id uuid NOT NULL,
    "position" smallint NOT NULL,
    kind text NOT NULL,
    value text NOT NULL,
    CONSTRAINT contacts_kind_check CHECK ((kind = ANY (ARRAY['phone'::text, 'email'::text])))
);


--
-- Name: countries; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.countries (
    code text NOT NULL,
    name_en text NOT NULL,
    name_sv text NOT NULL,
    eu_member boolean DEFAULT false NOT NULL,
    eea_member boolean DEFAULT false NOT NULL,
    CONSTRAINT countries_code_check CHECK ((code ~ '^[A-Z]{2}$'::text))
);


--
-- Name: handled_events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.handled_events (
    event_id uuid NOT NULL,
    event_type text NOT NULL,
    handled_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: identifiers; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.identifiers (
    id uuid NOT NULL,
    organization_id uuid NOT NULL,
    type text NOT NULL,
    country_code text NOT NULL,
    value text NOT NULL,
    active boolean DEFAULT true NOT NULL,
    CONSTRAINT identifiers_type_check CHECK ((type = ANY (ARRAY['national_registration_number'::text, 'vat'::text, 'eori'::text])))
);


--
-- Name: organization_chapters; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.organization_chapters (
    organization_id uuid NOT NULL,
    chapter_code text NOT NULL
);


--
-- Name: organizations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.organizations (
    id uuid NOT NULL,
    kind text NOT NULL,
    name text NOT NULL,
    country_code text NOT NULL,
    status text NOT NULL,
    code text,
    authority_kind text,
    parent_authority_id uuid,
    competent_authority_id uuid,
    search_text text NOT NULL,
    created_by uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    decided_by uuid,
    decided_at timestamp with time zone,
    decision_reason text,
    CONSTRAINT organizations_authority_kind_check CHECK ((authority_kind = ANY (ARRAY['central'::text, 'local'::text, 'border_control_post'::text]))),
    CONSTRAINT organizations_check CHECK (((kind = 'authority'::text) = (authority_kind IS NOT NULL))),
    CONSTRAINT organizations_check1 CHECK (((kind = 'authority'::text) OR (parent_authority_id IS NULL))),
    CONSTRAINT organizations_kind_check CHECK ((kind = ANY (ARRAY['operator'::text, 'organic_control_body'::text, 'authority'::text, 'other_entity'::text]))),
    CONSTRAINT organizations_name_check CHECK (((length(name) >= 1) AND (length(name) <= 200))),
    CONSTRAINT organizations_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'valid'::text, 'rejected'::text])))
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
-- Name: role_authorities; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.role_authorities (
    role_id uuid NOT NULL,
    authority_id uuid NOT NULL
);


--
-- Name: roles; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.roles (
    id uuid NOT NULL,
    user_id uuid NOT NULL,
    organization_id uuid NOT NULL,
    kind text NOT NULL,
    status text NOT NULL,
    is_admin boolean DEFAULT false NOT NULL,
    suspended_at timestamp with time zone,
    message text,
    contact_email text,
    contact_phone text,
    requested_at timestamp with time zone DEFAULT now() NOT NULL,
    decided_by uuid,
    decided_at timestamp with time zone,
    decision_reason text,
    revoked_by uuid,
    revoked_at timestamp with time zone,
    revoke_reason text,
    CONSTRAINT roles_check CHECK (((NOT is_admin) OR ((status = 'approved'::text) AND (kind = 'member'::text)))),
    CONSTRAINT roles_kind_check CHECK ((kind = ANY (ARRAY['member'::text, 'responsible_for_load'::text]))),
    CONSTRAINT roles_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'approved'::text, 'rejected'::text, 'revoked'::text])))
);


--
-- Name: sections; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sections (
    code text NOT NULL,
    chapter_code text,
    name_en text NOT NULL,
    name_sv text NOT NULL,
    CONSTRAINT sections_code_check CHECK ((code ~ '^[A-Z0-9][A-Z0-9 _-]{0,39}$'::text))
);


--
-- Name: users; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.users (
    id uuid NOT NULL,
    full_name text NOT NULL,
    email text NOT NULL,
    status text DEFAULT 'active'::text NOT NULL,
    last_sign_in_at timestamp with time zone NOT NULL,
    last_seen_at timestamp with time zone NOT NULL,
    inactivity_warned_at timestamp with time zone,
    inactivated_at timestamp with time zone,
    reactivation_requested_at timestamp with time zone,
    reactivation_message text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT users_status_check CHECK ((status = ANY (ARRAY['active'::text, 'inactive'::text])))
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
-- Data for Name: _yoyo_log; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public._yoyo_log VALUES ('39ddb4ea-ef1b-11f1-b8a3-02fc00000001', '1c8b500f530f7762ec3a03d4a34d3a58cb635505c5caf82796a9f061c3f7ced1', '0001_outbox', 'apply', 'gatehouse', 'localhost', NULL, '2026-12-03 13:12:43.918437');
INSERT INTO public._yoyo_log VALUES ('39e0d3fa-ef1b-11f1-b8a3-02fc00000001', 'c1924af09e0989b96d66e4e43d2267b9e399c252e12fe64aadf0626679882428', '0002_sessions', 'apply', 'gatehouse', 'localhost', NULL, '2026-12-03 13:12:43.938894');
INSERT INTO public._yoyo_log VALUES ('39f30606-ef1b-11f1-b8a3-02fc00000001', '98dcabe002b3b96dede89abb68b33c24770f192b3023b52a6f342b44af22295f', '0003_registry', 'apply', 'gatehouse', 'localhost', NULL, '2026-12-03 13:12:44.058127');
INSERT INTO public._yoyo_log VALUES ('39f56d60-ef1b-11f1-b8a3-02fc00000001', 'a737dec8c726a4f4661f7583987133e3b55e554b6a4e4784c408fded16cab26f', '0004_reference_data', 'apply', 'gatehouse', 'localhost', NULL, '2026-12-03 13:12:44.073877');
INSERT INTO public._yoyo_log VALUES ('39f9365c-ef1b-11f1-b8a3-02fc00000001', 'ba47dae76d59ea92ce207e59cdd2bf5047044524376c615951490cefb1346d79', '0005_search_by_country', 'apply', 'gatehouse', 'localhost', NULL, '2026-12-03 13:12:44.098665');


--
-- Data for Name: _yoyo_migration; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public._yoyo_migration VALUES ('1c8b500f530f7762ec3a03d4a34d3a58cb635505c5caf82796a9f061c3f7ced1', '0001_outbox', '2026-12-03 13:12:43.920571');
INSERT INTO public._yoyo_migration VALUES ('c1924af09e0989b96d66e4e43d2267b9e399c252e12fe64aadf0626679882428', '0002_sessions', '2026-12-03 13:12:43.940542');
INSERT INTO public._yoyo_migration VALUES ('98dcabe002b3b96dede89abb68b33c24770f192b3023b52a6f342b44af22295f', '0003_registry', '2026-12-03 13:12:44.058784');
INSERT INTO public._yoyo_migration VALUES ('a737dec8c726a4f4661f7583987133e3b55e554b6a4e4784c408fded16cab26f', '0004_reference_data', '2026-12-03 13:12:44.074577');
INSERT INTO public._yoyo_migration VALUES ('ba47dae76d59ea92ce207e59cdd2bf5047044524376c615951490cefb1346d79', '0005_search_by_country', '2026-12-03 13:12:44.102463');


--
-- Data for Name: _yoyo_version; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public._yoyo_version VALUES (2, '2026-12-03 13:12:43.80919');


--
-- Data for Name: activities; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.activities VALUES ('12121212-1212-4212-8212-121212121212', 'cccccccc-cccc-4ccc-8ccc-cccccccccccc', 'EUPO', 'EUPO', '556036-0793', '2026-01-01', NULL, '2026-01-02', '2026-01-02', 'dddddddd-dddd-4ddd-8ddd-dddddddddddd', '6f0e4bb4-2d4c-4d7e-9a37-0c7d4a6c1a01', 'valid', '11111111-1111-4111-8111-111111111111', '2026-01-02 09:00:00+00', '22222222-2222-4222-8222-222222222222', '2026-01-03 09:00:00+00', NULL);


--
-- Data for Name: activity_types; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.activity_types VALUES ('IMPORTER', 'IMPORTER', 'Importer', 'Importör');
INSERT INTO public.activity_types VALUES ('EXPORTER', 'EXPORTER', 'Exporter', 'Exportör');
INSERT INTO public.activity_types VALUES ('TRANSPORTER', 'TRANSPORTER', 'Transporter', 'Transportör');
INSERT INTO public.activity_types VALUES ('RFL', 'RFL', 'Responsible for the load', 'Lastansvarig');
INSERT INTO public.activity_types VALUES ('EUPO', 'EUPO', 'Professional operators other than those referred to in Article 45(1)(l) IMSOC', 'Professionella aktörer utom de som avses i artikel 45.1 l IMSOC');
INSERT INTO public.activity_types VALUES ('EURPO', 'EURPO', 'Professional operators referred to in Article 45(1)(l) IMSOC', 'Professionella aktörer som avses i artikel 45.1 l IMSOC');
INSERT INTO public.activity_types VALUES ('PLANT ESTABLISHMENT', 'PLANTS', 'Plant establishment', 'Växtanläggning');
INSERT INTO public.activity_types VALUES ('QUA-CONF TRADER', 'QUA-CONF', 'Trader in fresh fruit and vegetables', 'Handlare med färsk frukt och färska grönsaker');
INSERT INTO public.activity_types VALUES ('TCPO', 'TCPO', 'Third country professional operator', 'Professionell aktör i tredjeland');
INSERT INTO public.activity_types VALUES ('ORGANIC IMPORTER', 'ORGANIC', 'Organic importer', 'Ekologisk importör');
INSERT INTO public.activity_types VALUES ('ORGANIC FIRST CONSIGNEE', 'ORGANIC', 'Organic first consignee', 'Ekologisk första mottagare');
INSERT INTO public.activity_types VALUES ('ORGANIC EXPORTER', 'ORGANIC', 'Organic exporter', 'Ekologisk exportör');
INSERT INTO public.activity_types VALUES ('TIMBER IMPORT', 'FLEGT', 'Timber import', 'Import av trävaror');
INSERT INTO public.activity_types VALUES ('IMP', 'IMP', 'Importer of animals and animal products', 'Importör av djur och animaliska produkter');
INSERT INTO public.activity_types VALUES ('FNAO IMPORTER', 'FNAO', 'Importer of feed and food of non-animal origin', 'Importör av foder och livsmedel av icke-animaliskt ursprung');
INSERT INTO public.activity_types VALUES ('FOOD IMPORTER', 'FOOD', 'Food importer', 'Livsmedelsimportör');
INSERT INTO public.activity_types VALUES ('FISHERY IMPORTER', 'FISHING', 'Importer of fishery products', 'Importör av fiskeriprodukter');
INSERT INTO public.activity_types VALUES ('WASTE NOTIFIER', 'WSR', 'Waste shipment notifier', 'Anmälare av avfallstransport');
INSERT INTO public.activity_types VALUES ('WASTE CONSIGNEE', 'WSR', 'Waste shipment consignee', 'Mottagare av avfallstransport');


--
-- Data for Name: addresses; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.addresses VALUES ('dddddddd-dddd-4ddd-8ddd-dddddddddddd', 'cccccccc-cccc-4ccc-8ccc-cccccccccccc', 0, true, 'Hamngatan 1', '411 03', 'Göteborg', 'SE');


--
-- Data for Name: audit_log; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.audit_log OVERRIDING SYSTEM VALUE VALUES (1, '2026-01-03 09:00:00+00', '22222222-2222-4222-8222-222222222222', 'Bo Ek', 'operator.validated', 'operator', 'cccccccc-cccc-4ccc-8ccc-cccccccccccc', '11111111-1111-4111-8111-111111111111', 'cccccccc-cccc-4ccc-8ccc-cccccccccccc', '{cccccccc-cccc-4ccc-8ccc-cccccccccccc,6f0e4bb4-2d4c-4d7e-9a37-0c7d4a6c1a01}', NULL, '{"first_user": true}');


--
-- Data for Name: auth_login_states; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.auth_login_states VALUES ('\xac01', '\xad01', 'n-1', 'verifier', '/operators', '2026-01-05 08:00:00+00', '2026-01-05 08:10:00+00');


--
-- Data for Name: auth_sessions; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.auth_sessions VALUES ('\xab01', '11111111-1111-4111-8111-111111111111', 'Anna Svensson', 'anna@example.se', 'multi_factor', '{pwd,otp}', 'sid-1', 'eyJhbGciOi.eyJzdWIi.sig', '2026-01-05 08:01:10+00', '2026-01-05 08:20:00+00', '2026-01-05 20:01:10+00');


--
-- Data for Name: chapters; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.chapters VALUES ('organic', 'Organic', 'Ekologisk', 10);
INSERT INTO public.chapters VALUES ('timber', 'Imported timber products', 'Importerade trävaror', 20);
INSERT INTO public.chapters VALUES ('plant_health', 'Plant health', 'Växter', 30);
INSERT INTO public.chapters VALUES ('fishing', 'Fishing', 'Fiske', 40);
INSERT INTO public.chapters VALUES ('veterinary', 'Animal', 'Veterinär', 50);
INSERT INTO public.chapters VALUES ('fnao', 'Feed and food of non-animal origin', 'Foder och livsmedel av icke-animaliskt ursprung', 60);
INSERT INTO public.chapters VALUES ('food', 'Food', 'Livsmedel', 70);
INSERT INTO public.chapters VALUES ('waste_shipment', 'Waste shipment regulation', 'Förordningen om avfallstransporter', 80);


--
-- Data for Name: contacts; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.contacts VALUES ('eeeeeeee-eeee-4eee-8eee-eeeeeeeeeee1', 'cccccccc-cccc-4ccc-8ccc-cccccccccccc', 0, 'phone', '+46311234567');
INSERT INTO public.contacts VALUES ('eeeeeeee-eeee-4eee-8eee-eeeeeeeeeee2', 'cccccccc-cccc-4ccc-8ccc-cccccccccccc', 1, 'email', 'info@gbgfrukt.se');


--
-- Data for Name: countries; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.countries VALUES ('AD', 'Andorra', 'Andorra', false, false);
INSERT INTO public.countries VALUES ('AE', 'United Arab Emirates', 'Förenade Arabemiraten', false, false);
INSERT INTO public.countries VALUES ('AF', 'Afghanistan', 'Afghanistan', false, false);
INSERT INTO public.countries VALUES ('AG', 'Antigua and Barbuda', 'Antigua och Barbuda', false, false);
INSERT INTO public.countries VALUES ('AI', 'Anguilla', 'Anguilla', false, false);
INSERT INTO public.countries VALUES ('AL', 'Albania', 'Albanien', false, false);
INSERT INTO public.countries VALUES ('AM', 'Armenia', 'Armenien', false, false);
INSERT INTO public.countries VALUES ('AO', 'Angola', 'Angola', false, false);
INSERT INTO public.countries VALUES ('AQ', 'Antarctica', 'Antarktis', false, false);
INSERT INTO public.countries VALUES ('AR', 'Argentina', 'Argentina', false, false);
INSERT INTO public.countries VALUES ('AS', 'American Samoa', 'Amerikanska Samoa', false, false);
INSERT INTO public.countries VALUES ('AT', 'Austria', 'Österrike', true, true);
INSERT INTO public.countries VALUES ('AU', 'Australia', 'Australien', false, false);
INSERT INTO public.countries VALUES ('AW', 'Aruba', 'Aruba', false, false);
INSERT INTO public.countries VALUES ('AX', 'Åland Islands', 'Åland', false, false);
INSERT INTO public.countries VALUES ('AZ', 'Azerbaijan', 'Azerbajdzjan', false, false);
INSERT INTO public.countries VALUES ('BA', 'Bosnia and Herzegovina', 'Bosnien-Hercegovina', false, false);
INSERT INTO public.countries VALUES ('BB', 'Barbados', 'Barbados', false, false);
INSERT INTO public.countries VALUES ('BD', 'Bangladesh', 'Bangladesh', false, false);
INSERT INTO public.countries VALUES ('BE', 'Belgium', 'Belgien', true, true);
INSERT INTO public.countries VALUES ('BF', 'Burkina Faso', 'Burkina Faso', false, false);
INSERT INTO public.countries VALUES ('BG', 'Bulgaria', 'Bulgarien', true, true);
INSERT INTO public.countries VALUES ('BH', 'Bahrain', 'Bahrain', false, false);
INSERT INTO public.countries VALUES ('BI', 'Burundi', 'Burundi', false, false);
INSERT INTO public.countries VALUES ('BJ', 'Benin', 'Benin', false, false);
INSERT INTO public.countries VALUES ('BL', 'Saint Barthélemy', 'Saint-Barthélemy', false, false);
INSERT INTO public.countries VALUES ('BM', 'Bermuda', 'Bermuda', false, false);
INSERT INTO public.countries VALUES ('BN', 'Brunei Darussalam', 'Brunei', false, false);
INSERT INTO public.countries VALUES ('BO', 'Bolivia', 'Bolivia', false, false);
INSERT INTO public.countries VALUES ('BQ', 'Bonaire, Sint Eustatius and Saba', 'Bonaire, Sint Eustatius och Saba', false, false);
INSERT INTO public.countries VALUES ('BR', 'Brazil', 'Brasilien', false, false);
INSERT INTO public.countries VALUES ('BS', 'Bahamas', 'Bahamas', false, false);
INSERT INTO public.countries VALUES ('BT', 'Bhutan', 'Bhutan', false, false);
INSERT INTO public.countries VALUES ('BV', 'Bouvet Island', 'Bouvetön', false, false);
INSERT INTO public.countries VALUES ('BW', 'Botswana', 'Botswana', false, false);
INSERT INTO public.countries VALUES ('BY', 'Belarus', 'Vitryssland', false, false);
INSERT INTO public.countries VALUES ('BZ', 'Belize', 'Belize', false, false);
INSERT INTO public.countries VALUES ('CA', 'Canada', 'Kanada', false, false);
INSERT INTO public.countries VALUES ('CC', 'Cocos (Keeling) Islands', 'Kokosöarna', false, false);
INSERT INTO public.countries VALUES ('CD', 'Congo, The Democratic Republic of the', 'Kongo, demokratiska republiken', false, false);
INSERT INTO public.countries VALUES ('CF', 'Central African Republic', 'Centralafrikanska republiken', false, false);
INSERT INTO public.countries VALUES ('CG', 'Congo', 'Kongo', false, false);
INSERT INTO public.countries VALUES ('CH', 'Switzerland', 'Schweiz', false, false);
INSERT INTO public.countries VALUES ('CI', 'Côte d''Ivoire', 'Elfenbenskusten', false, false);
INSERT INTO public.countries VALUES ('CK', 'Cook Islands', 'Cooköarna', false, false);
INSERT INTO public.countries VALUES ('CL', 'Chile', 'Chile', false, false);
INSERT INTO public.countries VALUES ('CM', 'Cameroon', 'Kamerun', false, false);
INSERT INTO public.countries VALUES ('CN', 'China', 'Kina', false, false);
INSERT INTO public.countries VALUES ('CO', 'Colombia', 'Colombia', false, false);
INSERT INTO public.countries VALUES ('CR', 'Costa Rica', 'Costa Rica', false, false);
INSERT INTO public.countries VALUES ('CU', 'Cuba', 'Kuba', false, false);
INSERT INTO public.countries VALUES ('CV', 'Cabo Verde', 'Kap Verde', false, false);
INSERT INTO public.countries VALUES ('CW', 'Curaçao', 'Curaçao', false, false);
INSERT INTO public.countries VALUES ('CX', 'Christmas Island', 'Julön', false, false);
INSERT INTO public.countries VALUES ('CY', 'Cyprus', 'Cypern', true, true);
INSERT INTO public.countries VALUES ('CZ', 'Czechia', 'Tjeckien', true, true);
INSERT INTO public.countries VALUES ('DE', 'Germany', 'Tyskland', true, true);
INSERT INTO public.countries VALUES ('DJ', 'Djibouti', 'Djibouti', false, false);
INSERT INTO public.countries VALUES ('DK', 'Denmark', 'Danmark', true, true);
INSERT INTO public.countries VALUES ('DM', 'Dominica', 'Dominica', false, false);
INSERT INTO public.countries VALUES ('DO', 'Dominican Republic', 'Dominikanska republiken', false, false);
INSERT INTO public.countries VALUES ('DZ', 'Algeria', 'Algeriet', false, false);
INSERT INTO public.countries VALUES ('EC', 'Ecuador', 'Ecuador', false, false);
INSERT INTO public.countries VALUES ('EE', 'Estonia', 'Estland', true, true);
INSERT INTO public.countries VALUES ('EG', 'Egypt', 'Egypten', false, false);
INSERT INTO public.countries VALUES ('EH', 'Western Sahara', 'Västsahara', false, false);
INSERT INTO public.countries VALUES ('ER', 'Eritrea', 'Eritrea', false, false);
INSERT INTO public.countries VALUES ('ES', 'Spain', 'Spanien', true, true);
INSERT INTO public.countries VALUES ('ET', 'Ethiopia', 'Etiopien', false, false);
INSERT INTO public.countries VALUES ('FI', 'Finland', 'Finland', true, true);
INSERT INTO public.countries VALUES ('FJ', 'Fiji', 'Fiji', false, false);
INSERT INTO public.countries VALUES ('FK', 'Falkland Islands (Malvinas)', 'Falklandsöarna (Malvinas)', false, false);
INSERT INTO public.countries VALUES ('FM', 'Micronesia, Federated States of', 'Mikronesien, federala staterna', false, false);
INSERT INTO public.countries VALUES ('FO', 'Faroe Islands', 'Färöarna', false, false);
INSERT INTO public.countries VALUES ('FR', 'France', 'Frankrike', true, true);
INSERT INTO public.countries VALUES ('GA', 'Gabon', 'Gabon', false, false);
INSERT INTO public.countries VALUES ('GB', 'United Kingdom', 'Förenade kungariket', false, false);
INSERT INTO public.countries VALUES ('GD', 'Grenada', 'Grenada', false, false);
INSERT INTO public.countries VALUES ('GE', 'Georgia', 'Georgien', false, false);
INSERT INTO public.countries VALUES ('GF', 'French Guiana', 'Franska Guyana', false, false);
INSERT INTO public.countries VALUES ('GG', 'Guernsey', 'Guernsey', false, false);
INSERT INTO public.countries VALUES ('GH', 'Ghana', 'Ghana', false, false);
INSERT INTO public.countries VALUES ('GI', 'Gibraltar', 'Gibraltar', false, false);
INSERT INTO public.countries VALUES ('GL', 'Greenland', 'Grönland', false, false);
INSERT INTO public.countries VALUES ('GM', 'Gambia', 'Gambia', false, false);
INSERT INTO public.countries VALUES ('GN', 'Guinea', 'Guinea', false, false);
INSERT INTO public.countries VALUES ('GP', 'Guadeloupe', 'Guadeloupe', false, false);
INSERT INTO public.countries VALUES ('GQ', 'Equatorial Guinea', 'Ekvatorialguinea', false, false);
INSERT INTO public.countries VALUES ('GR', 'Greece', 'Grekland', true, true);
INSERT INTO public.countries VALUES ('GS', 'South Georgia and the South Sandwich Islands', 'Sydgeorgien och södra Sandwichöarna', false, false);
INSERT INTO public.countries VALUES ('GT', 'Guatemala', 'Guatemala', false, false);
INSERT INTO public.countries VALUES ('GU', 'Guam', 'Guam', false, false);
INSERT INTO public.countries VALUES ('GW', 'Guinea-Bissau', 'Guinea-Bissau', false, false);
INSERT INTO public.countries VALUES ('GY', 'Guyana', 'Guyana', false, false);
INSERT INTO public.countries VALUES ('HK', 'Hong Kong', 'Hongkong', false, false);
INSERT INTO public.countries VALUES ('HM', 'Heard Island and McDonald Islands', 'Heardön och McDonaldöarna', false, false);
INSERT INTO public.countries VALUES ('HN', 'Honduras', 'Honduras', false, false);
INSERT INTO public.countries VALUES ('HR', 'Croatia', 'Kroatien', true, true);
INSERT INTO public.countries VALUES ('HT', 'Haiti', 'Haiti', false, false);
INSERT INTO public.countries VALUES ('HU', 'Hungary', 'Ungern', true, true);
INSERT INTO public.countries VALUES ('ID', 'Indonesia', 'Indonesien', false, false);
INSERT INTO public.countries VALUES ('IE', 'Ireland', 'Irland', true, true);
INSERT INTO public.countries VALUES ('IL', 'Israel', 'Israel', false, false);
INSERT INTO public.countries VALUES ('IM', 'Isle of Man', 'Isle of Man', false, false);
INSERT INTO public.countries VALUES ('IN', 'India', 'Indien', false, false);
INSERT INTO public.countries VALUES ('IO', 'British Indian Ocean Territory', 'Brittiskt territorium i Indiska Oceanen', false, false);
INSERT INTO public.countries VALUES ('IQ', 'Iraq', 'Irak', false, false);
INSERT INTO public.countries VALUES ('IR', 'Iran', 'Iran, islamiska republiken', false, false);
INSERT INTO public.countries VALUES ('IS', 'Iceland', 'Island', false, true);
INSERT INTO public.countries VALUES ('IT', 'Italy', 'Italien', true, true);
INSERT INTO public.countries VALUES ('JE', 'Jersey', 'Jersey', false, false);
INSERT INTO public.countries VALUES ('JM', 'Jamaica', 'Jamaica', false, false);
INSERT INTO public.countries VALUES ('JO', 'Jordan', 'Jordanien', false, false);
INSERT INTO public.countries VALUES ('JP', 'Japan', 'Japan', false, false);
INSERT INTO public.countries VALUES ('KE', 'Kenya', 'Kenya', false, false);
INSERT INTO public.countries VALUES ('KG', 'Kyrgyzstan', 'Kirgizistan', false, false);
INSERT INTO public.countries VALUES ('KH', 'Cambodia', 'Kambodja', false, false);
INSERT INTO public.countries VALUES ('KI', 'Kiribati', 'Kiribati', false, false);
INSERT INTO public.countries VALUES ('KM', 'Comoros', 'Comorerna', false, false);
INSERT INTO public.countries VALUES ('KN', 'Saint Kitts and Nevis', 'Sankt Kitts och Nevis', false, false);
INSERT INTO public.countries VALUES ('KP', 'North Korea', 'Nordkorea', false, false);
INSERT INTO public.countries VALUES ('KR', 'South Korea', 'Sydkorea', false, false);
INSERT INTO public.countries VALUES ('KW', 'Kuwait', 'Kuwait', false, false);
INSERT INTO public.countries VALUES ('KY', 'Cayman Islands', 'Caymanöarna', false, false);
INSERT INTO public.countries VALUES ('KZ', 'Kazakhstan', 'Kazakstan', false, false);
INSERT INTO public.countries VALUES ('LA', 'Laos', 'Demokratiska folkrepubliken Lao', false, false);
INSERT INTO public.countries VALUES ('LB', 'Lebanon', 'Libanon', false, false);
INSERT INTO public.countries VALUES ('LC', 'Saint Lucia', 'Sankt Lucia', false, false);
INSERT INTO public.countries VALUES ('LI', 'Liechtenstein', 'Liechtenstein', false, true);
INSERT INTO public.countries VALUES ('LK', 'Sri Lanka', 'Sri Lanka', false, false);
INSERT INTO public.countries VALUES ('LR', 'Liberia', 'Liberia', false, false);
INSERT INTO public.countries VALUES ('LS', 'Lesotho', 'Lesotho', false, false);
INSERT INTO public.countries VALUES ('LT', 'Lithuania', 'Litauen', true, true);
INSERT INTO public.countries VALUES ('LU', 'Luxembourg', 'Luxemburg', true, true);
INSERT INTO public.countries VALUES ('LV', 'Latvia', 'Lettland', true, true);
INSERT INTO public.countries VALUES ('LY', 'Libya', 'Libyen', false, false);
INSERT INTO public.countries VALUES ('MA', 'Morocco', 'Marocko', false, false);
INSERT INTO public.countries VALUES ('MC', 'Monaco', 'Monaco', false, false);
INSERT INTO public.countries VALUES ('MD', 'Moldova', 'Moldavien', false, false);
INSERT INTO public.countries VALUES ('ME', 'Montenegro', 'Montenegro', false, false);
INSERT INTO public.countries VALUES ('MF', 'Saint Martin (French part)', 'Saint Martin (franska delen)', false, false);
INSERT INTO public.countries VALUES ('MG', 'Madagascar', 'Madagaskar', false, false);
INSERT INTO public.countries VALUES ('MH', 'Marshall Islands', 'Marshallöarna', false, false);
INSERT INTO public.countries VALUES ('MK', 'North Macedonia', 'Nordmakedonien', false, false);
INSERT INTO public.countries VALUES ('ML', 'Mali', 'Mali', false, false);
INSERT INTO public.countries VALUES ('MM', 'Myanmar', 'Myanmar', false, false);
INSERT INTO public.countries VALUES ('MN', 'Mongolia', 'Mongoliet', false, false);
INSERT INTO public.countries VALUES ('MO', 'Macao', 'Macao', false, false);
INSERT INTO public.countries VALUES ('MP', 'Northern Mariana Islands', 'Nordmarianerna', false, false);
INSERT INTO public.countries VALUES ('MQ', 'Martinique', 'Martinique', false, false);
INSERT INTO public.countries VALUES ('MR', 'Mauritania', 'Mauretanien', false, false);
INSERT INTO public.countries VALUES ('MS', 'Montserrat', 'Montserrat', false, false);
INSERT INTO public.countries VALUES ('MT', 'Malta', 'Malta', true, true);
INSERT INTO public.countries VALUES ('MU', 'Mauritius', 'Mauritius', false, false);
INSERT INTO public.countries VALUES ('MV', 'Maldives', 'Maldiverna', false, false);
INSERT INTO public.countries VALUES ('MW', 'Malawi', 'Malawi', false, false);
INSERT INTO public.countries VALUES ('MX', 'Mexico', 'Mexiko', false, false);
INSERT INTO public.countries VALUES ('MY', 'Malaysia', 'Malaysia', false, false);
INSERT INTO public.countries VALUES ('MZ', 'Mozambique', 'Moçambique', false, false);
INSERT INTO public.countries VALUES ('NA', 'Namibia', 'Namibia', false, false);
INSERT INTO public.countries VALUES ('NC', 'New Caledonia', 'Nya Kaledonien', false, false);
INSERT INTO public.countries VALUES ('NE', 'Niger', 'Niger', false, false);
INSERT INTO public.countries VALUES ('NF', 'Norfolk Island', 'Norfolköarna', false, false);
INSERT INTO public.countries VALUES ('NG', 'Nigeria', 'Nigeria', false, false);
INSERT INTO public.countries VALUES ('NI', 'Nicaragua', 'Nicaragua', false, false);
INSERT INTO public.countries VALUES ('NL', 'Netherlands', 'Nederländerna', true, true);
INSERT INTO public.countries VALUES ('NO', 'Norway', 'Norge', false, true);
INSERT INTO public.countries VALUES ('NP', 'Nepal', 'Nepal', false, false);
INSERT INTO public.countries VALUES ('NR', 'Nauru', 'Nauru', false, false);
INSERT INTO public.countries VALUES ('NU', 'Niue', 'Niue', false, false);
INSERT INTO public.countries VALUES ('NZ', 'New Zealand', 'Nya Zeeland', false, false);
INSERT INTO public.countries VALUES ('OM', 'Oman', 'Oman', false, false);
INSERT INTO public.countries VALUES ('PA', 'Panama', 'Panama', false, false);
INSERT INTO public.countries VALUES ('PE', 'Peru', 'Peru', false, false);
INSERT INTO public.countries VALUES ('PF', 'French Polynesia', 'Franska Polynesien', false, false);
INSERT INTO public.countries VALUES ('PG', 'Papua New Guinea', 'Papua Nya Guinea', false, false);
INSERT INTO public.countries VALUES ('PH', 'Philippines', 'Filippinerna', false, false);
INSERT INTO public.countries VALUES ('PK', 'Pakistan', 'Pakistan', false, false);
INSERT INTO public.countries VALUES ('PL', 'Poland', 'Polen', true, true);
INSERT INTO public.countries VALUES ('PM', 'Saint Pierre and Miquelon', 'Sankt Pierre och Miquelon', false, false);
INSERT INTO public.countries VALUES ('PN', 'Pitcairn', 'Pitcairn', false, false);
INSERT INTO public.countries VALUES ('PR', 'Puerto Rico', 'Puerto Rico', false, false);
INSERT INTO public.countries VALUES ('PS', 'Palestine, State of', 'Staten Palestina', false, false);
INSERT INTO public.countries VALUES ('PT', 'Portugal', 'Portugal', true, true);
INSERT INTO public.countries VALUES ('PW', 'Palau', 'Palau', false, false);
INSERT INTO public.countries VALUES ('PY', 'Paraguay', 'Paraguay', false, false);
INSERT INTO public.countries VALUES ('QA', 'Qatar', 'Qatar', false, false);
INSERT INTO public.countries VALUES ('RE', 'Réunion', 'Réunion', false, false);
INSERT INTO public.countries VALUES ('RO', 'Romania', 'Rumänien', true, true);
INSERT INTO public.countries VALUES ('RS', 'Serbia', 'Serbien', false, false);
INSERT INTO public.countries VALUES ('RU', 'Russian Federation', 'Ryska federationen', false, false);
INSERT INTO public.countries VALUES ('RW', 'Rwanda', 'Rwanda', false, false);
INSERT INTO public.countries VALUES ('SA', 'Saudi Arabia', 'Saudiarabien', false, false);
INSERT INTO public.countries VALUES ('SB', 'Solomon Islands', 'Salomonöarna', false, false);
INSERT INTO public.countries VALUES ('SC', 'Seychelles', 'Seychellerna', false, false);
INSERT INTO public.countries VALUES ('SD', 'Sudan', 'Sudan', false, false);
INSERT INTO public.countries VALUES ('SE', 'Sweden', 'Sverige', true, true);
INSERT INTO public.countries VALUES ('SG', 'Singapore', 'Singapore', false, false);
INSERT INTO public.countries VALUES ('SH', 'Saint Helena, Ascension and Tristan da Cunha', 'Saint Helena, Ascension och Tristan da Cunha', false, false);
INSERT INTO public.countries VALUES ('SI', 'Slovenia', 'Slovenien', true, true);
INSERT INTO public.countries VALUES ('SJ', 'Svalbard and Jan Mayen', 'Svalbard och Jan Mayen', false, false);
INSERT INTO public.countries VALUES ('SK', 'Slovakia', 'Slovakien', true, true);
INSERT INTO public.countries VALUES ('SL', 'Sierra Leone', 'Sierra Leone', false, false);
INSERT INTO public.countries VALUES ('SM', 'San Marino', 'San Marino', false, false);
INSERT INTO public.countries VALUES ('SN', 'Senegal', 'Senegal', false, false);
INSERT INTO public.countries VALUES ('SO', 'Somalia', 'Somalia', false, false);
INSERT INTO public.countries VALUES ('SR', 'Suriname', 'Surinam', false, false);
INSERT INTO public.countries VALUES ('SS', 'South Sudan', 'Sydsudan', false, false);
INSERT INTO public.countries VALUES ('ST', 'Sao Tome and Principe', 'São Tomé och Príncipe', false, false);
INSERT INTO public.countries VALUES ('SV', 'El Salvador', 'El Salvador', false, false);
INSERT INTO public.countries VALUES ('SX', 'Sint Maarten (Dutch part)', 'Sint Maarten (nederländska delen)', false, false);
INSERT INTO public.countries VALUES ('SY', 'Syria', 'Syrien', false, false);
INSERT INTO public.countries VALUES ('SZ', 'Eswatini', 'Swaziland', false, false);
INSERT INTO public.countries VALUES ('TC', 'Turks and Caicos Islands', 'Turks- och Caicosöarna', false, false);
INSERT INTO public.countries VALUES ('TD', 'Chad', 'Tchad', false, false);
INSERT INTO public.countries VALUES ('TF', 'French Southern Territories', 'Franska sydterritorierna', false, false);
INSERT INTO public.countries VALUES ('TG', 'Togo', 'Togo', false, false);
INSERT INTO public.countries VALUES ('TH', 'Thailand', 'Thailand', false, false);
INSERT INTO public.countries VALUES ('TJ', 'Tajikistan', 'Tadzjikistan', false, false);
INSERT INTO public.countries VALUES ('TK', 'Tokelau', 'Tokelau', false, false);
INSERT INTO public.countries VALUES ('TL', 'Timor-Leste', 'Östtimor', false, false);
INSERT INTO public.countries VALUES ('TM', 'Turkmenistan', 'Turkmenistan', false, false);
INSERT INTO public.countries VALUES ('TN', 'Tunisia', 'Tunisien', false, false);
INSERT INTO public.countries VALUES ('TO', 'Tonga', 'Tonga', false, false);
INSERT INTO public.countries VALUES ('TR', 'Türkiye', 'Turkiet', false, false);
INSERT INTO public.countries VALUES ('TT', 'Trinidad and Tobago', 'Trinidad och Tobago', false, false);
INSERT INTO public.countries VALUES ('TV', 'Tuvalu', 'Tuvalu', false, false);
INSERT INTO public.countries VALUES ('TW', 'Taiwan', 'Taiwan', false, false);
INSERT INTO public.countries VALUES ('TZ', 'Tanzania', 'Tanzania, förenade republiken', false, false);
INSERT INTO public.countries VALUES ('UA', 'Ukraine', 'Ukraina', false, false);
INSERT INTO public.countries VALUES ('UG', 'Uganda', 'Uganda', false, false);
INSERT INTO public.countries VALUES ('UM', 'United States Minor Outlying Islands', 'Förenta staternas mindre öar i Oceanien och Västindien', false, false);
INSERT INTO public.countries VALUES ('US', 'United States', 'USA', false, false);
INSERT INTO public.countries VALUES ('UY', 'Uruguay', 'Uruguay', false, false);
INSERT INTO public.countries VALUES ('UZ', 'Uzbekistan', 'Uzbekistan', false, false);
INSERT INTO public.countries VALUES ('VA', 'Holy See (Vatican City State)', 'Vatikanstaten', false, false);
INSERT INTO public.countries VALUES ('VC', 'Saint Vincent and the Grenadines', 'Sankt Vincent och Grenadinerna', false, false);
INSERT INTO public.countries VALUES ('VE', 'Venezuela', 'Venezuela, Bolivarianska republiken', false, false);
INSERT INTO public.countries VALUES ('VG', 'Virgin Islands, British', 'Jungfruöarna, brittiska', false, false);
INSERT INTO public.countries VALUES ('VI', 'Virgin Islands, U.S.', 'Jungfruöarna, amerikanska', false, false);
INSERT INTO public.countries VALUES ('VN', 'Vietnam', 'Vietnam', false, false);
INSERT INTO public.countries VALUES ('VU', 'Vanuatu', 'Vanuatu', false, false);
INSERT INTO public.countries VALUES ('WF', 'Wallis and Futuna', 'Wallis och Futuna', false, false);
INSERT INTO public.countries VALUES ('WS', 'Samoa', 'Samoa', false, false);
INSERT INTO public.countries VALUES ('YE', 'Yemen', 'Yemen', false, false);
INSERT INTO public.countries VALUES ('YT', 'Mayotte', 'Mayotte', false, false);
INSERT INTO public.countries VALUES ('ZA', 'South Africa', 'Sydafrika', false, false);
INSERT INTO public.countries VALUES ('ZM', 'Zambia', 'Zambia', false, false);
INSERT INTO public.countries VALUES ('ZW', 'Zimbabwe', 'Zimbabwe', false, false);


--
-- Data for Name: handled_events; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.handled_events VALUES ('99999999-9999-4999-8999-999999999993', 'identity.user.devices_reset', '2026-01-04 11:00:00+00');


--
-- Data for Name: identifiers; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.identifiers VALUES ('ffffffff-ffff-4fff-8fff-ffffffffffff', 'cccccccc-cccc-4ccc-8ccc-cccccccccccc', 'national_registration_number', 'SE', '5560360793', true);


--
-- Data for Name: organization_chapters; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.organization_chapters VALUES ('6f0e4bb4-2d4c-4d7e-9a37-0c7d4a6c1a01', 'plant_health');
INSERT INTO public.organization_chapters VALUES ('6f0e4bb4-2d4c-4d7e-9a37-0c7d4a6c1a01', 'veterinary');
INSERT INTO public.organization_chapters VALUES ('6f0e4bb4-2d4c-4d7e-9a37-0c7d4a6c1a02', 'food');
INSERT INTO public.organization_chapters VALUES ('6f0e4bb4-2d4c-4d7e-9a37-0c7d4a6c1a02', 'fnao');
INSERT INTO public.organization_chapters VALUES ('6f0e4bb4-2d4c-4d7e-9a37-0c7d4a6c1a02', 'organic');
INSERT INTO public.organization_chapters VALUES ('6f0e4bb4-2d4c-4d7e-9a37-0c7d4a6c1a02', 'fishing');
INSERT INTO public.organization_chapters VALUES ('6f0e4bb4-2d4c-4d7e-9a37-0c7d4a6c1a03', 'timber');
INSERT INTO public.organization_chapters VALUES ('6f0e4bb4-2d4c-4d7e-9a37-0c7d4a6c1a11', 'plant_health');
INSERT INTO public.organization_chapters VALUES ('6f0e4bb4-2d4c-4d7e-9a37-0c7d4a6c1a11', 'veterinary');
INSERT INTO public.organization_chapters VALUES ('6f0e4bb4-2d4c-4d7e-9a37-0c7d4a6c1a12', 'plant_health');
INSERT INTO public.organization_chapters VALUES ('6f0e4bb4-2d4c-4d7e-9a37-0c7d4a6c1a12', 'veterinary');
INSERT INTO public.organization_chapters VALUES ('6f0e4bb4-2d4c-4d7e-9a37-0c7d4a6c1a13', 'plant_health');
INSERT INTO public.organization_chapters VALUES ('6f0e4bb4-2d4c-4d7e-9a37-0c7d4a6c1a13', 'veterinary');
INSERT INTO public.organization_chapters VALUES ('6f0e4bb4-2d4c-4d7e-9a37-0c7d4a6c1a14', 'plant_health');
INSERT INTO public.organization_chapters VALUES ('6f0e4bb4-2d4c-4d7e-9a37-0c7d4a6c1a14', 'veterinary');


--
-- Data for Name: organizations; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.organizations VALUES ('6f0e4bb4-2d4c-4d7e-9a37-0c7d4a6c1a01', 'authority', 'Jordbruksverket, Import- och exportkontrollenheten', 'SE', 'valid', 'SE-SJV-IEK', 'central', NULL, NULL, 'jordbruksverket import- och exportkontrollenheten', NULL, '2026-12-03 13:12:44.062428+00', NULL, NULL, NULL);
INSERT INTO public.organizations VALUES ('6f0e4bb4-2d4c-4d7e-9a37-0c7d4a6c1a02', 'authority', 'Livsmedelsverket', 'SE', 'valid', 'SE-SLV', 'central', NULL, NULL, 'livsmedelsverket', NULL, '2026-12-03 13:12:44.062428+00', NULL, NULL, NULL);
INSERT INTO public.organizations VALUES ('6f0e4bb4-2d4c-4d7e-9a37-0c7d4a6c1a03', 'authority', 'Skogsstyrelsen', 'SE', 'valid', 'SE-SKS', 'central', NULL, NULL, 'skogsstyrelsen', NULL, '2026-12-03 13:12:44.062428+00', NULL, NULL, NULL);
INSERT INTO public.organizations VALUES ('6f0e4bb4-2d4c-4d7e-9a37-0c7d4a6c1a11', 'authority', 'Gränskontrollstation Göteborg', 'SE', 'valid', 'SEGOT', 'border_control_post', '6f0e4bb4-2d4c-4d7e-9a37-0c7d4a6c1a01', NULL, 'granskontrollstation goteborg', NULL, '2026-12-03 13:12:44.062428+00', NULL, NULL, NULL);
INSERT INTO public.organizations VALUES ('6f0e4bb4-2d4c-4d7e-9a37-0c7d4a6c1a12', 'authority', 'Gränskontrollstation Helsingborg', 'SE', 'valid', 'SEHEL', 'border_control_post', '6f0e4bb4-2d4c-4d7e-9a37-0c7d4a6c1a01', NULL, 'granskontrollstation helsingborg', NULL, '2026-12-03 13:12:44.062428+00', NULL, NULL, NULL);
INSERT INTO public.organizations VALUES ('6f0e4bb4-2d4c-4d7e-9a37-0c7d4a6c1a13', 'authority', 'Gränskontrollstation Stockholm Arlanda', 'SE', 'valid', 'SEARN', 'border_control_post', '6f0e4bb4-2d4c-4d7e-9a37-0c7d4a6c1a01', NULL, 'granskontrollstation stockholm arlanda', NULL, '2026-12-03 13:12:44.062428+00', NULL, NULL, NULL);
INSERT INTO public.organizations VALUES ('6f0e4bb4-2d4c-4d7e-9a37-0c7d4a6c1a14', 'authority', 'Gränskontrollstation Malmö', 'SE', 'valid', 'SEMMA', 'border_control_post', '6f0e4bb4-2d4c-4d7e-9a37-0c7d4a6c1a01', NULL, 'granskontrollstation malmo', NULL, '2026-12-03 13:12:44.062428+00', NULL, NULL, NULL);
INSERT INTO public.organizations VALUES ('cccccccc-cccc-4ccc-8ccc-cccccccccccc', 'operator', 'Göteborgs Frukt AB', 'SE', 'valid', NULL, NULL, NULL, '6f0e4bb4-2d4c-4d7e-9a37-0c7d4a6c1a01', 'goteborgs frukt ab hamngatan 1 41103 goteborg', '11111111-1111-4111-8111-111111111111', '2026-01-02 09:00:00+00', '22222222-2222-4222-8222-222222222222', '2026-01-03 09:00:00+00', NULL);


--
-- Data for Name: outbox_events; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.outbox_events VALUES ('88888888-8888-4888-8888-888888888883', 'registry.operator.validated', 'registry', 'cccccccc-cccc-4ccc-8ccc-cccccccccccc', '\x0a02', '{}', '2026-01-03 09:00:00+00', '2026-01-03 09:00:00.5+00', 0, NULL);


--
-- Data for Name: role_authorities; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.role_authorities VALUES ('14141414-1414-4414-8414-141414141414', '6f0e4bb4-2d4c-4d7e-9a37-0c7d4a6c1a11');


--
-- Data for Name: roles; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.roles VALUES ('13131313-1313-4313-8313-131313131313', '11111111-1111-4111-8111-111111111111', 'cccccccc-cccc-4ccc-8ccc-cccccccccccc', 'member', 'approved', true, NULL, 'Jag är VD', 'anna@example.se', '+46701234567', '2026-01-02 09:00:00+00', '22222222-2222-4222-8222-222222222222', '2026-01-03 09:00:00+00', NULL, NULL, NULL, NULL);
INSERT INTO public.roles VALUES ('14141414-1414-4414-8414-141414141414', '11111111-1111-4111-8111-111111111111', 'cccccccc-cccc-4ccc-8ccc-cccccccccccc', 'responsible_for_load', 'pending', false, NULL, NULL, NULL, NULL, '2026-01-04 09:00:00+00', NULL, NULL, NULL, NULL, NULL, NULL);


--
-- Data for Name: sections; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.sections VALUES ('IMPORTER', NULL, 'Importer', 'Importör');
INSERT INTO public.sections VALUES ('EXPORTER', NULL, 'Exporter', 'Exportör');
INSERT INTO public.sections VALUES ('TRANSPORTER', NULL, 'Transporter', 'Transportör');
INSERT INTO public.sections VALUES ('RFL', NULL, 'Responsible for the load', 'Lastansvarig');
INSERT INTO public.sections VALUES ('EUPO', 'plant_health', 'EU professional operators other than EU registered professional operators (EUPO)', 'Professionella aktörer i EU utom registrerade professionella aktörer (EUPO)');
INSERT INTO public.sections VALUES ('EURPO', 'plant_health', 'EU registered professional operators (EURPO)', 'Registrerade professionella aktörer i EU (EURPO)');
INSERT INTO public.sections VALUES ('PLANTS', 'plant_health', 'Plant establishments', 'Växtanläggningar');
INSERT INTO public.sections VALUES ('QUA-CONF', 'plant_health', 'Conformity checks fruit and vegetables', 'Kontroll av överensstämmelse för frukt och grönsaker');
INSERT INTO public.sections VALUES ('TCPO', 'plant_health', 'Third country professional operators', 'Professionella aktörer i tredjeland');
INSERT INTO public.sections VALUES ('ORGANIC', 'organic', 'Organic operators', 'Ekologiska aktörer');
INSERT INTO public.sections VALUES ('FLEGT', 'timber', 'FLEGT timber import', 'FLEGT-import av trävaror');
INSERT INTO public.sections VALUES ('IMP', 'veterinary', 'Importers of animals and animal products', 'Importörer av djur och animaliska produkter');
INSERT INTO public.sections VALUES ('FNAO', 'fnao', 'Feed and food of non-animal origin operators', 'Aktörer för foder och livsmedel av icke-animaliskt ursprung');
INSERT INTO public.sections VALUES ('FOOD', 'food', 'Food business operators', 'Livsmedelsföretagare');
INSERT INTO public.sections VALUES ('FISHING', 'fishing', 'Fishery products operators', 'Aktörer för fiskeriprodukter');
INSERT INTO public.sections VALUES ('WSR', 'waste_shipment', 'Waste shipment operators', 'Aktörer för avfallstransporter');


--
-- Data for Name: users; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.users VALUES ('11111111-1111-4111-8111-111111111111', 'Anna Svensson', 'anna@example.se', 'active', '2026-01-05 08:01:10+00', '2026-01-05 08:01:10+00', NULL, NULL, NULL, NULL, '2026-01-02 08:00:00+00', '2026-01-05 08:01:10+00');
INSERT INTO public.users VALUES ('22222222-2222-4222-8222-222222222222', 'Bo Ek', 'bo@example.com', 'inactive', '2025-06-01 08:00:00+00', '2025-06-01 08:00:00+00', '2025-09-20 00:00:00+00', '2025-10-01 00:00:00+00', '2026-01-02 00:00:00+00', 'Jag är tillbaka', '2025-06-01 08:00:00+00', '2026-01-02 00:00:00+00');


--
-- Data for Name: yoyo_lock; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Name: audit_log_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.audit_log_id_seq', 1, true);


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
-- Name: activities activities_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.activities
    ADD CONSTRAINT activities_pkey PRIMARY KEY (id);


--
-- Name: activity_types activity_types_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.activity_types
    ADD CONSTRAINT activity_types_pkey PRIMARY KEY (code);


--
-- Name: activity_types activity_types_section_code_code_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.activity_types
    ADD CONSTRAINT activity_types_section_code_code_key UNIQUE (section_code, code);


--
-- Name: addresses addresses_id_organization_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.addresses
    ADD CONSTRAINT addresses_id_organization_id_key UNIQUE (id, organization_id);


--
-- Name: addresses addresses_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.addresses
    ADD CONSTRAINT addresses_pkey PRIMARY KEY (id);


--
-- Name: audit_log audit_log_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_log
    ADD CONSTRAINT audit_log_pkey PRIMARY KEY (id);


--
-- Name: auth_login_states auth_login_states_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_login_states
    ADD CONSTRAINT auth_login_states_pkey PRIMARY KEY (state_hash);


--
-- Name: auth_sessions auth_sessions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_sessions
    ADD CONSTRAINT auth_sessions_pkey PRIMARY KEY (id_hash);


--
-- Name: chapters chapters_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.chapters
    ADD CONSTRAINT chapters_pkey PRIMARY KEY (code);


--
-- Name: contacts contacts_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.contacts
    ADD CONSTRAINT contacts_pkey PRIMARY KEY (id);


--
-- Name: countries countries_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.countries
    ADD CONSTRAINT countries_pkey PRIMARY KEY (code);


--
-- Name: handled_events handled_events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.handled_events
    ADD CONSTRAINT handled_events_pkey PRIMARY KEY (event_id);


--
-- Name: identifiers identifiers_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.identifiers
    ADD CONSTRAINT identifiers_pkey PRIMARY KEY (id);


--
-- Name: organization_chapters organization_chapters_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.organization_chapters
    ADD CONSTRAINT organization_chapters_pkey PRIMARY KEY (organization_id, chapter_code);


--
-- Name: organizations organizations_code_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.organizations
    ADD CONSTRAINT organizations_code_key UNIQUE (code);


--
-- Name: organizations organizations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.organizations
    ADD CONSTRAINT organizations_pkey PRIMARY KEY (id);


--
-- Name: outbox_events outbox_events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.outbox_events
    ADD CONSTRAINT outbox_events_pkey PRIMARY KEY (id);


--
-- Name: role_authorities role_authorities_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.role_authorities
    ADD CONSTRAINT role_authorities_pkey PRIMARY KEY (role_id, authority_id);


--
-- Name: roles roles_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.roles
    ADD CONSTRAINT roles_pkey PRIMARY KEY (id);


--
-- Name: sections sections_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sections
    ADD CONSTRAINT sections_pkey PRIMARY KEY (code);


--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);


--
-- Name: yoyo_lock yoyo_lock_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.yoyo_lock
    ADD CONSTRAINT yoyo_lock_pkey PRIMARY KEY (locked);


--
-- Name: activities_authority; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX activities_authority ON public.activities USING btree (authority_id) WHERE (status = 'pending'::text);


--
-- Name: activities_organization; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX activities_organization ON public.activities USING btree (organization_id);


--
-- Name: activities_section; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX activities_section ON public.activities USING btree (section_code, organization_id);


--
-- Name: activities_type; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX activities_type ON public.activities USING btree (activity_type_code, organization_id);


--
-- Name: addresses_one_main; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX addresses_one_main ON public.addresses USING btree (organization_id) WHERE is_main;


--
-- Name: addresses_organization; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX addresses_organization ON public.addresses USING btree (organization_id, "position");


--
-- Name: audit_log_scope; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX audit_log_scope ON public.audit_log USING gin (scope_organization_ids);


--
-- Name: audit_log_subject; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX audit_log_subject ON public.audit_log USING btree (subject_id);


--
-- Name: auth_sessions_expiry; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX auth_sessions_expiry ON public.auth_sessions USING btree (expires_at);


--
-- Name: auth_sessions_sid; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX auth_sessions_sid ON public.auth_sessions USING btree (identity_sid);


--
-- Name: auth_sessions_user; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX auth_sessions_user ON public.auth_sessions USING btree (user_id);


--
-- Name: contacts_organization; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX contacts_organization ON public.contacts USING btree (organization_id, "position");


--
-- Name: identifiers_organization; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX identifiers_organization ON public.identifiers USING btree (organization_id);


--
-- Name: identifiers_unique_active; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX identifiers_unique_active ON public.identifiers USING btree (type, country_code, value) WHERE active;


--
-- Name: organizations_by_country; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX organizations_by_country ON public.organizations USING btree (kind, country_code, name, id);


--
-- Name: organizations_competent_authority; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX organizations_competent_authority ON public.organizations USING btree (competent_authority_id);


--
-- Name: organizations_operator_search; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX organizations_operator_search ON public.organizations USING gin (search_text public.gin_trgm_ops) WHERE (kind = 'operator'::text);


--
-- Name: organizations_operator_search_by_country; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX organizations_operator_search_by_country ON public.organizations USING gin (country_code, search_text public.gin_trgm_ops) WHERE (kind = 'operator'::text);


--
-- Name: organizations_parent_authority; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX organizations_parent_authority ON public.organizations USING btree (parent_authority_id);


--
-- Name: outbox_events_unpublished; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX outbox_events_unpublished ON public.outbox_events USING btree (created_at, id) WHERE (published_at IS NULL);


--
-- Name: role_authorities_authority; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX role_authorities_authority ON public.role_authorities USING btree (authority_id);


--
-- Name: roles_one_live; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX roles_one_live ON public.roles USING btree (user_id, organization_id, kind) WHERE (status = ANY (ARRAY['pending'::text, 'approved'::text]));


--
-- Name: roles_organization; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX roles_organization ON public.roles USING btree (organization_id, status);


--
-- Name: roles_user; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX roles_user ON public.roles USING btree (user_id, status);


--
-- Name: users_active_by_last_seen; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX users_active_by_last_seen ON public.users USING btree (last_seen_at) WHERE (status = 'active'::text);


--
-- Name: audit_log audit_log_no_change; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER audit_log_no_change BEFORE DELETE OR UPDATE ON public.audit_log FOR EACH ROW EXECUTE FUNCTION public.audit_log_is_append_only();


--
-- Name: audit_log audit_log_no_truncate; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON public.audit_log FOR EACH STATEMENT EXECUTE FUNCTION public.audit_log_is_append_only();


--
-- Name: activities activities_address_id_organization_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.activities
    ADD CONSTRAINT activities_address_id_organization_id_fkey FOREIGN KEY (address_id, organization_id) REFERENCES public.addresses(id, organization_id);


--
-- Name: activities activities_authority_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.activities
    ADD CONSTRAINT activities_authority_id_fkey FOREIGN KEY (authority_id) REFERENCES public.organizations(id);


--
-- Name: activities activities_organization_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.activities
    ADD CONSTRAINT activities_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES public.organizations(id);


--
-- Name: activities activities_section_code_activity_type_code_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.activities
    ADD CONSTRAINT activities_section_code_activity_type_code_fkey FOREIGN KEY (section_code, activity_type_code) REFERENCES public.activity_types(section_code, code);


--
-- Name: activity_types activity_types_section_code_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.activity_types
    ADD CONSTRAINT activity_types_section_code_fkey FOREIGN KEY (section_code) REFERENCES public.sections(code);


--
-- Name: addresses addresses_country_code_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.addresses
    ADD CONSTRAINT addresses_country_code_fkey FOREIGN KEY (country_code) REFERENCES public.countries(code);


--
-- Name: addresses addresses_organization_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.addresses
    ADD CONSTRAINT addresses_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES public.organizations(id);


--
-- Name: contacts contacts_organization_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.contacts
    ADD CONSTRAINT contacts_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES public.organizations(id);


--
-- Name: identifiers identifiers_country_code_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.identifiers
    ADD CONSTRAINT identifiers_country_code_fkey FOREIGN KEY (country_code) REFERENCES public.countries(code);


--
-- Name: identifiers identifiers_organization_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.identifiers
    ADD CONSTRAINT identifiers_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES public.organizations(id);


--
-- Name: organization_chapters organization_chapters_chapter_code_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.organization_chapters
    ADD CONSTRAINT organization_chapters_chapter_code_fkey FOREIGN KEY (chapter_code) REFERENCES public.chapters(code);


--
-- Name: organization_chapters organization_chapters_organization_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.organization_chapters
    ADD CONSTRAINT organization_chapters_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES public.organizations(id);


--
-- Name: organizations organizations_competent_authority_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.organizations
    ADD CONSTRAINT organizations_competent_authority_id_fkey FOREIGN KEY (competent_authority_id) REFERENCES public.organizations(id);


--
-- Name: organizations organizations_country_code_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.organizations
    ADD CONSTRAINT organizations_country_code_fkey FOREIGN KEY (country_code) REFERENCES public.countries(code);


--
-- Name: organizations organizations_parent_authority_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.organizations
    ADD CONSTRAINT organizations_parent_authority_id_fkey FOREIGN KEY (parent_authority_id) REFERENCES public.organizations(id);


--
-- Name: role_authorities role_authorities_authority_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.role_authorities
    ADD CONSTRAINT role_authorities_authority_id_fkey FOREIGN KEY (authority_id) REFERENCES public.organizations(id);


--
-- Name: role_authorities role_authorities_role_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.role_authorities
    ADD CONSTRAINT role_authorities_role_id_fkey FOREIGN KEY (role_id) REFERENCES public.roles(id);


--
-- Name: roles roles_organization_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.roles
    ADD CONSTRAINT roles_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES public.organizations(id);


--
-- Name: roles roles_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.roles
    ADD CONSTRAINT roles_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id);


--
-- Name: sections sections_chapter_code_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sections
    ADD CONSTRAINT sections_chapter_code_fkey FOREIGN KEY (chapter_code) REFERENCES public.chapters(code);


--
-- PostgreSQL database dump complete
--


