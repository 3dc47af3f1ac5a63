-- A notifier database made by main at 51ab076 (before Alembic): `python -m gatehouse_notifier migrate`
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
-- Name: handled_events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.handled_events (
    event_id uuid NOT NULL,
    event_type text NOT NULL,
    handled_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: messages; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.messages (
    id uuid NOT NULL,
    event_id uuid NOT NULL,
    event_type text NOT NULL,
    event_time timestamp with time zone NOT NULL,
    template text NOT NULL,
    language text,
    recipient_user_id text NOT NULL,
    recipient_email text,
    recipient_name text DEFAULT ''::text NOT NULL,
    sender_name text DEFAULT ''::text NOT NULL,
    subject text DEFAULT ''::text NOT NULL,
    body_text text DEFAULT ''::text NOT NULL,
    body_html text DEFAULT ''::text NOT NULL,
    message_id_header text NOT NULL,
    status text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    last_error text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    sent_at timestamp with time zone,
    body_scrubbed_at timestamp with time zone,
    CONSTRAINT messages_status_check CHECK ((status = ANY (ARRAY['queued'::text, 'sending'::text, 'sent'::text, 'failed'::text, 'abandoned'::text])))
);


--
-- Name: operator_creators; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.operator_creators (
    operator_id text NOT NULL,
    user_id text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: pending_role_requests; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.pending_role_requests (
    role_request_id text NOT NULL,
    requested_at timestamp with time zone NOT NULL,
    tracked_at timestamp with time zone DEFAULT now() NOT NULL
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

INSERT INTO public._yoyo_log VALUES ('3a2cf438-ef1b-11f1-b8a3-02fc00000001', '8ee2e2e1ebbd24b6985b98c3a4ce8efcb4b7e005a19610c1829d1ce32a8b56cf', '0001_messages', 'apply', 'gatehouse', 'localhost', NULL, '2026-12-03 13:12:44.437781');
INSERT INTO public._yoyo_log VALUES ('3a2f61c8-ef1b-11f1-b8a3-02fc00000001', '3976bed2ced3166d9d44a4914c1a12d0ed99b7f2f80b9b7217a91a63bddd2a98', '0002_registry_tracking', 'apply', 'gatehouse', 'localhost', NULL, '2026-12-03 13:12:44.453706');


--
-- Data for Name: _yoyo_migration; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public._yoyo_migration VALUES ('8ee2e2e1ebbd24b6985b98c3a4ce8efcb4b7e005a19610c1829d1ce32a8b56cf', '0001_messages', '2026-12-03 13:12:44.439047');
INSERT INTO public._yoyo_migration VALUES ('3976bed2ced3166d9d44a4914c1a12d0ed99b7f2f80b9b7217a91a63bddd2a98', '0002_registry_tracking', '2026-12-03 13:12:44.454465');


--
-- Data for Name: _yoyo_version; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public._yoyo_version VALUES (2, '2026-12-03 13:12:44.419484');


--
-- Data for Name: handled_events; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.handled_events VALUES ('99999999-9999-4999-8999-999999999991', 'identity.user.created', '2026-01-03 09:00:02+00');
INSERT INTO public.handled_events VALUES ('99999999-9999-4999-8999-999999999992', 'registry.operator.created', '2026-01-04 09:00:02+00');


--
-- Data for Name: messages; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.messages VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaa1', '99999999-9999-4999-8999-999999999991', 'identity.user.created', '2026-01-03 09:00:00+00', 'account_created', 'sv', 'usr-1', 'anna@example.se', 'Anna Svensson', 'Autentiseringstjänsten', 'Välkommen', 'Hej Anna,\nklicka på länken.', '<p>Hej Anna,</p>', '<a1@gatehouse.localhost>', 'sent', 1, '2026-01-03 09:00:02+00', NULL, '2026-01-03 09:00:02+00', '2026-01-03 09:00:03+00', '2026-01-03 09:00:03+00', NULL);
INSERT INTO public.messages VALUES ('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaa2', '99999999-9999-4999-8999-999999999992', 'registry.operator.created', '2026-01-04 09:00:00+00', 'operator_created', 'en', 'usr-2', 'tempfail@example.com', 'Bo Ek', '', 'New operator', 'Dear Bo', '<p>Dear Bo</p>', '<a2@gatehouse.localhost>', 'failed', 2, '2026-01-04 09:05:00+00', '451 4.3.0 Mailbox busy', '2026-01-04 09:00:02+00', '2026-01-04 09:01:00+00', NULL, NULL);


--
-- Data for Name: operator_creators; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.operator_creators VALUES ('op-1', 'usr-2', '2026-01-04 09:00:02+00');


--
-- Data for Name: pending_role_requests; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.pending_role_requests VALUES ('rr-1', '2026-01-04 10:00:00+00', '2026-01-04 10:00:01+00');


--
-- Data for Name: yoyo_lock; Type: TABLE DATA; Schema: public; Owner: -
--



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
-- Name: handled_events handled_events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.handled_events
    ADD CONSTRAINT handled_events_pkey PRIMARY KEY (event_id);


--
-- Name: messages messages_event_id_recipient_user_id_template_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.messages
    ADD CONSTRAINT messages_event_id_recipient_user_id_template_key UNIQUE (event_id, recipient_user_id, template);


--
-- Name: messages messages_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.messages
    ADD CONSTRAINT messages_pkey PRIMARY KEY (id);


--
-- Name: operator_creators operator_creators_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.operator_creators
    ADD CONSTRAINT operator_creators_pkey PRIMARY KEY (operator_id);


--
-- Name: pending_role_requests pending_role_requests_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.pending_role_requests
    ADD CONSTRAINT pending_role_requests_pkey PRIMARY KEY (role_request_id);


--
-- Name: yoyo_lock yoyo_lock_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.yoyo_lock
    ADD CONSTRAINT yoyo_lock_pkey PRIMARY KEY (locked);


--
-- Name: handled_events_handled_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX handled_events_handled_at ON public.handled_events USING btree (handled_at);


--
-- Name: messages_due; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX messages_due ON public.messages USING btree (next_attempt_at) WHERE (status = ANY (ARRAY['queued'::text, 'sending'::text, 'failed'::text]));


--
-- Name: messages_status_created; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX messages_status_created ON public.messages USING btree (status, created_at);


--
-- Name: operator_creators_created_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX operator_creators_created_at ON public.operator_creators USING btree (created_at);


--
-- Name: pending_role_requests_requested_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX pending_role_requests_requested_at ON public.pending_role_requests USING btree (requested_at);


--
-- PostgreSQL database dump complete
--


