#!/usr/bin/env bash
# Starts (or stops) a throwaway PostgreSQL server on loopback for the tests.
# Usage: scripts/postgres.sh start|stop|url
# It runs as the "postgres" system user (PostgreSQL refuses root), keeps its
# data under $INTAKE_PG_DIR (default /tmp/intake-pg) and listens on
# 127.0.0.1:$INTAKE_PG_PORT (default 54329). Prints the test database URL.
set -euo pipefail
dir=${INTAKE_PG_DIR:-/tmp/intake-pg}
port=${INTAKE_PG_PORT:-54329}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
url="postgres://intake@127.0.0.1:${port}/intake?sslmode=disable"
[ -n "$bin" ] || { echo "postgres.sh: PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "${1:-start}" in
start)
  if [ ! -s "$dir/PG_VERSION" ]; then
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
    as_pg "$bin/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  if ! as_pg "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    as_pg "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >/dev/null
  fi
  as_pg "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qtAc \
    "SELECT 1 FROM pg_roles WHERE rolname='intake'" | grep -q 1 ||
    as_pg "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc "CREATE ROLE intake LOGIN SUPERUSER"
  as_pg "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qtAc \
    "SELECT 1 FROM pg_database WHERE datname='intake'" | grep -q 1 ||
    as_pg "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc "CREATE DATABASE intake OWNER intake"
  echo "$url"
  ;;
stop) as_pg "$bin/pg_ctl" -D "$dir" -m fast stop >/dev/null 2>&1 || true ;;
url) echo "$url" ;;
*) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
