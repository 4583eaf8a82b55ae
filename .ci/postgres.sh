#!/usr/bin/env bash
# Installs (if missing) and starts a throwaway PostgreSQL for the sample tests, on loopback only.
# Idempotent: a second run finds the server up and only prints the connection string.
#   PGPORT (default 54329), PGDATA_DIR (default /tmp/otelgen-pg)
# Prints the connection string the tests read from OTELGEN_TEST_PG.
set -euo pipefail

PORT="${PGPORT:-54329}"
DATA="${PGDATA_DIR:-/tmp/otelgen-pg}"
LOG="$DATA.log"

bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    if [ -x "$d/initdb" ]; then echo "$d"; fi
  done | sort -V | tail -n 1
}

BIN="$(bindir || true)"
if [ -z "$BIN" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  BIN="$(bindir)"
fi

# initdb and postgres refuse to run as root: run them as the postgres OS user.
as_pg() {
  if [ "$(id -u)" = "0" ]; then
    su postgres -s /bin/bash -c "$*"
  else
    bash -c "$*"
  fi
}

if [ ! -f "$DATA/PG_VERSION" ]; then
  mkdir -p "$DATA"
  if [ "$(id -u)" = "0" ]; then chown postgres:postgres "$DATA"; fi
  chmod 700 "$DATA"
  as_pg "'$BIN/initdb' -D '$DATA' -A trust -U postgres --no-sync -E UTF8 --locale=C.UTF-8" >&2
fi

if ! as_pg "'$BIN/pg_ctl' -D '$DATA' status" >/dev/null 2>&1; then
  touch "$LOG"
  if [ "$(id -u)" = "0" ]; then chown postgres:postgres "$LOG"; fi
  # Throwaway server: no fsync, loopback only, socket in /tmp.
  as_pg "'$BIN/pg_ctl' -D '$DATA' -l '$LOG' -w -t 60 start -o \"-h 127.0.0.1 -p $PORT -k /tmp -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200\"" >&2
fi

for _ in $(seq 1 60); do
  if "$BIN/pg_isready" -h 127.0.0.1 -p "$PORT" -q; then
    echo "Host=127.0.0.1;Port=$PORT;Username=postgres;Database=postgres"
    exit 0
  fi
  sleep 0.5
done
echo "PostgreSQL did not become ready on 127.0.0.1:$PORT; see $LOG" >&2
exit 1
