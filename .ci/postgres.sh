#!/usr/bin/env bash
# Installs (if missing) and starts a throwaway PostgreSQL for the sample tests, on loopback only.
# Idempotent: when the server is already up it only prints the connection string.
#   PGPORT (default 54329), PGDATA_DIR (default /tmp/otelgen-pg)
# Run it (prints the connection string) or source it (also exports OTELGEN_TEST_PG, which the tests read).

otelgen_pg_bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    if [ -x "$d/initdb" ]; then echo "$d"; fi
  done | sort -V | tail -n 1
}

# initdb and postgres refuse to run as root: run them as the postgres OS user.
otelgen_pg_as_pg() {
  if [ "$(id -u)" = "0" ]; then
    su postgres -s /bin/bash -c "$*"
  else
    bash -c "$*"
  fi
}

otelgen_pg_start() (
  set -euo pipefail
  local port="${PGPORT:-54329}" data="${PGDATA_DIR:-/tmp/otelgen-pg}"
  local log="$data.log" bin
  bin="$(otelgen_pg_bindir || true)"
  if [ -z "$bin" ]; then
    local sudo=""
    if [ "$(id -u)" != "0" ]; then sudo=sudo; fi
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends postgresql >&2
    bin="$(otelgen_pg_bindir)"
  fi
  if [ ! -f "$data/PG_VERSION" ]; then
    mkdir -p "$data"
    if [ "$(id -u)" = "0" ]; then chown postgres:postgres "$data"; fi
    chmod 700 "$data"
    otelgen_pg_as_pg "'$bin/initdb' -D '$data' -A trust -U postgres --no-sync -E UTF8 --locale=C.UTF-8" >&2
  fi
  if ! otelgen_pg_as_pg "'$bin/pg_ctl' -D '$data' status" >/dev/null 2>&1; then
    touch "$log"
    if [ "$(id -u)" = "0" ]; then chown postgres:postgres "$log"; fi
    # Throwaway server: loopback only, socket in /tmp, no durability.
    otelgen_pg_as_pg "'$bin/pg_ctl' -D '$data' -l '$log' -w -t 60 start -o \"-h 127.0.0.1 -p $port -k /tmp -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200\"" >&2
  fi
  local i
  for i in $(seq 1 60); do
    if "$bin/pg_isready" -h 127.0.0.1 -p "$port" -q; then
      echo "Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
      return 0
    fi
    sleep 0.5
  done
  echo "PostgreSQL did not become ready on 127.0.0.1:$port; see $log" >&2
  return 1
)

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
  # Sourced (e.g. by .ci/run): start it and export the connection string; never exit the caller's shell.
  if OTELGEN_TEST_PG="$(otelgen_pg_start)"; then
    export OTELGEN_TEST_PG
    echo "postgres: $OTELGEN_TEST_PG"
  else
    echo "postgres: could not start (the workflow tests will fail saying so)" >&2
  fi
else
  otelgen_pg_start
fi
