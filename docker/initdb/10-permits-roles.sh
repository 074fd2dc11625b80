#!/usr/bin/env bash
# The database's two roles, made once when the volume is first initialised
# (the postgres image runs /docker-entrypoint-initdb.d/* as its superuser).
#
#   permits_owner  owns the database and its schema; `migrate` connects as it
#   permits_app    the application (web, worker, beat); owns nothing and gets
#                  its grants from `manage.py grant_runtime_role permits_app`
#
# The image's superuser is only used here: afterwards it may not log in over
# the network at all (the pg_hba.conf line below), and no other service is
# given its password. Passwords come from the environment of the db service.
# Re-running it is harmless (it is also run that way by the test suite).
set -euo pipefail

: "${PERMITS_OWNER_PASSWORD:?set PERMITS_OWNER_PASSWORD}"
: "${PERMITS_APP_PASSWORD:?set PERMITS_APP_PASSWORD}"
OWNER_ROLE="${PERMITS_OWNER_ROLE:-permits_owner}"
APP_ROLE="${PERMITS_APP_ROLE:-permits_app}"
DB_NAME="${PERMITS_DB:-permits}"

psql -v ON_ERROR_STOP=1 -X -q --username "${POSTGRES_USER:-postgres}" --dbname postgres \
  -v owner="$OWNER_ROLE" -v app="$APP_ROLE" -v db="$DB_NAME" \
  -v owner_password="$PERMITS_OWNER_PASSWORD" -v app_password="$PERMITS_APP_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'owner')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'owner') \gexec
SELECT format('CREATE ROLE %I LOGIN', :'app')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app') \gexec
-- Neither may do more than its own work; passwords as given now.
SELECT format('ALTER ROLE %I NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %L',
              :'owner', :'owner_password') \gexec
SELECT format('ALTER ROLE %I NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %L',
              :'app', :'app_password') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'owner')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', :'db', :'owner') \gexec
-- Only the owner and the application connect to it; the runtime role gets
-- CONNECT (and the rest) from grant_runtime_role.
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'db') \gexec
SQL

# No network login for the superuser: first matching line wins.
if [ -n "${PGDATA:-}" ] && [ -f "$PGDATA/pg_hba.conf" ] \
   && ! grep -q "^host all ${POSTGRES_USER:-postgres} all reject" "$PGDATA/pg_hba.conf"; then
  sed -i "1i host all ${POSTGRES_USER:-postgres} all reject" "$PGDATA/pg_hba.conf"
fi
