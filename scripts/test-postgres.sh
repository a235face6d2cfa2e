#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the gallery tests: `start` (idempotent) initialises it
# under $FACENET_PG_DIR (default /tmp/facenet-pg-<port>) and starts it on 127.0.0.1:$FACENET_PG_PORT
# (default 55432), then prints its URL on stdout; `stop` stops it; `url` prints the URL.
# Installs Debian's postgresql-15 when it is missing. As root, the server runs as the `postgres`
# user (PostgreSQL refuses to run as root). Trust authentication on loopback only: test data only.
set -euo pipefail
PORT=${FACENET_PG_PORT:-55432}
DIR=${FACENET_PG_DIR:-/tmp/facenet-pg-$PORT}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
URL="postgres://facenet@127.0.0.1:$PORT/facenet"
cmd=${1:-start}

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  url) echo "$URL"; exit 0 ;;
  stop)
    if [ -f "$DIR/postmaster.pid" ]; then as_pg "$PGBIN/pg_ctl" -D "$DIR" -m fast stop >/dev/null; fi
    exit 0 ;;
  start) ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac

if [ ! -x "$PGBIN/initdb" ]; then
  echo "test-postgres: installing Debian's postgresql-15" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql-15 >/dev/null
fi

if [ "$(id -u)" = 0 ]; then mkdir -p "$DIR"; chown postgres "$DIR"; chmod 700 "$DIR"; else mkdir -p "$DIR"; fi
if [ ! -f "$DIR/PG_VERSION" ]; then
  as_pg "$PGBIN/initdb" -D "$DIR" -U facenet -A trust --no-sync -E UTF8 >"$DIR.initdb.log" 2>&1 || { cat "$DIR.initdb.log" >&2; exit 1; }
fi
if ! as_pg "$PGBIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1; then
  # fsync off: a throwaway test cluster; the gallery's own durability is tested on SQLite and by commit order here.
  as_pg "$PGBIN/pg_ctl" -D "$DIR" -w -t 60 -l "$DIR/server.log" \
    -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null \
    || { tail -20 "$DIR/server.log" >&2; exit 1; }
fi
if ! as_pg "$PGBIN/psql" -h 127.0.0.1 -p "$PORT" -U facenet -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'facenet'" | grep -q 1; then
  as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$PORT" -U facenet facenet
fi
echo "$URL"
