#!/usr/bin/env bash
# Starts the local PostgreSQL cluster, makes sure the test role exists, drops
# databases left by earlier runs, and prints the admin URL the tests use.
# Fails loudly: a missing PostgreSQL is an error, never a silent skip.
set -euo pipefail

cluster="$(pg_lsclusters --no-header | head -n 1)"
if [ -z "$cluster" ]; then
  echo "postgres.sh: no PostgreSQL cluster found (pg_lsclusters is empty)" >&2
  exit 1
fi
read -r version name port status _ <<<"$cluster"
if [ "$status" != online ]; then
  pg_ctlcluster "$version" "$name" start >&2
fi

psql_admin() { su postgres -c "psql -p $port -v ON_ERROR_STOP=1 -qAt $*"; }
if [ "$(psql_admin "-c \"SELECT 1 FROM pg_roles WHERE rolname = 'ledgerlock'\"")" != 1 ]; then
  psql_admin "-c \"CREATE ROLE ledgerlock LOGIN CREATEDB PASSWORD 'ledgerlock'\"" >&2
fi
for db in $(psql_admin "-c \"SELECT datname FROM pg_database WHERE datname LIKE 'ledgerlock_test_%'\""); do
  psql_admin "-c \"DROP DATABASE $db\"" >&2
done
echo "postgres://ledgerlock:ledgerlock@127.0.0.1:$port/postgres"
