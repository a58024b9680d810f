#!/usr/bin/env bash
# Starts or stops a private PostgreSQL server for the tests, on 127.0.0.1 and a socket in its own
# data directory. As root, the server runs as the `postgres` user (initdb refuses root).
#   eval "$(./scripts/postgres.sh start)"   # prints: export SIGNET_TEST_POSTGRES_URL=...
#   ./scripts/postgres.sh stop
set -euo pipefail
PORT=${SIGNET_PG_PORT:-54329}
DIR=${SIGNET_PG_DIR:-${TMPDIR:-/tmp}/signet-test-pg-$PORT}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$PGBIN" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    if [ ! -s "$DIR/data/PG_VERSION" ]; then
      mkdir -p "$DIR"
      [ "$(id -u)" = 0 ] && chown postgres "$DIR"
      as_pg "$PGBIN/initdb" -D "$DIR/data" -A trust -U signet --no-instructions >"$DIR/initdb.log" 2>&1 \
        || { cat "$DIR/initdb.log" >&2; exit 1; }
    fi
    if ! as_pg "$PGBIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
      as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
        -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=on" start >/dev/null \
        || { cat "$DIR/server.log" >&2; exit 1; }
    fi
    echo "export SIGNET_TEST_POSTGRES_URL=postgres://signet@127.0.0.1:$PORT/postgres"
    ;;
  stop)
    [ -d "$DIR/data" ] && as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    ;;
  *)
    echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
