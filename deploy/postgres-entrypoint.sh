#!/bin/sh
# PostgreSQL for deploy/docker-compose.yml: creates the cluster on first start (an empty volume), with
# the role and database named by POSTGRES_USER and POSTGRES_DB and the password POSTGRES_PASSWORD
# (scram-sha-256 over the network; trust only over the container's own socket), then runs the server
# in the foreground. The schema is the application's business: the `migrate` service of the compose
# file brings it up to date (bot/records/database.py, migrations/).
set -eu
: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}"
user=${POSTGRES_USER:-coopsante}
db=${POSTGRES_DB:-coopsante}
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb -D "$PGDATA" -U "$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  echo "host all all 0.0.0.0/0 scram-sha-256" >>"$PGDATA/pg_hba.conf"
  pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
  createdb -U "$user" "$db"
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  echo "coopsante-postgres: cluster created, database $db"
fi
exec postgres -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/run/postgresql
