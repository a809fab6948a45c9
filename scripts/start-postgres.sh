#!/usr/bin/env bash
# Starts a PostgreSQL cluster for the repository tests on 127.0.0.1 (installing Debian's postgresql when it
# is missing), creates the user and database kb_test, and prints the DATABASE_URL on stdout (only that).
# Idempotent: a cluster it started before is reused. Environment: KB_PG_DATA (default /tmp/keras-batch-pg),
# KB_PG_PORT (default 5432, or the next free port).
set -euo pipefail
log() { echo "start-postgres: $*" >&2; }

if ! compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null; then
  log "installing postgresql (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
DATA=${KB_PG_DATA:-/tmp/keras-batch-pg}
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

mkdir -p "$DATA"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$DATA"
if [ ! -f "$DATA/PG_VERSION" ]; then
  log "initdb $DATA"
  as_pg "'$BIN/initdb' -D '$DATA' -A trust -U postgres -E UTF8" >&2
fi
if as_pg "'$BIN/pg_ctl' -D '$DATA' status" >/dev/null 2>&1; then
  PORT=$(cat "$DATA/kb-port")
else
  PORT=${KB_PG_PORT:-5432}
  while port_busy "$PORT"; do PORT=$((PORT + 1)); done
  echo "$PORT" > "$DATA/kb-port"
  log "starting on 127.0.0.1:$PORT"
  as_pg "'$BIN/pg_ctl' -D '$DATA' -l '$DATA/server.log' -w -t 60 -o \"-c listen_addresses=127.0.0.1 -p $PORT -k '$DATA'\" start" >&2
fi
psql_pg() { as_pg "'$BIN/psql' -h 127.0.0.1 -p $PORT -U postgres -v ON_ERROR_STOP=1 -qtA -c \"$1\""; }
if [ "$(psql_pg "SELECT 1 FROM pg_roles WHERE rolname='kb_test'")" != 1 ]; then
  psql_pg "CREATE ROLE kb_test LOGIN PASSWORD 'kb_test' CREATEDB" >&2
fi
if [ "$(psql_pg "SELECT 1 FROM pg_database WHERE datname='kb_test'")" != 1 ]; then
  psql_pg "CREATE DATABASE kb_test OWNER kb_test" >&2
fi
echo "postgres://kb_test:kb_test@127.0.0.1:$PORT/kb_test"
