#!/bin/sh
# One database and one login role per service (each service owns its data and never reads another
# service's tables). Run by the postgres image's entrypoint on the first start only, i.e. when the
# data volume is empty; later password changes need ALTER ROLE (see deploy/README.md).
#
# Passwords come from the container environment (IDENTITY_DB_PASSWORD, …, set from .env) and are
# passed to psql as variables, so quoting is psql's job (:'password'), not the shell's.
set -eu

create_service_database() {
	service="$1"
	password="$2"
	psql --set ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
		--set service="$service" --set password="$password" <<'SQL'
CREATE ROLE :"service" LOGIN PASSWORD :'password';
CREATE DATABASE :"service" OWNER :"service";
-- Only the owner may connect: another service's credentials cannot open this database.
REVOKE ALL ON DATABASE :"service" FROM PUBLIC;
SQL
}

create_service_database identity "$IDENTITY_DB_PASSWORD"
create_service_database registry "$REGISTRY_DB_PASSWORD"
create_service_database notifier "$NOTIFIER_DB_PASSWORD"
