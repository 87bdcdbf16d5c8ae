#!/usr/bin/env bash
# A throw-away PostgreSQL for the HQ tests and benchmarks: its own data directory and Unix socket
# under /tmp (no TCP port, so parallel worktrees do not collide), run as the postgres user.
# Usage: scripts/postgres.sh start   (prints the database URL for LOYALTY_TEST_PG)
#        scripts/postgres.sh stop    (stops it and removes the data)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$bin" ] || [ ! -x "$bin/postgres" ]; then
  echo "postgres.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1
fi
dir=${LOYALTY_PG_DIR:-/tmp/loyalty-pg-$(pwd | sha1sum | cut -c1-10)}
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
user=$([ "$(id -u)" = 0 ] && echo postgres || id -un)
url="postgresql:///loyalty_test?host=$dir&user=$user"
case "${1:-}" in
  start)
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
    if ! as_pg "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_pg "$bin/initdb" -D "$dir/data" -A trust -U "$user" --no-sync >"$dir/initdb.log" 2>&1
      fi
      as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-k $dir -c listen_addresses= -c fsync=off -c max_connections=200" start >/dev/null
    fi
    as_pg "$bin/psql" -h "$dir" -U "$user" -d postgres -qtAc "SELECT 1 FROM pg_database WHERE datname='loyalty_test'" \
      | grep -q 1 || as_pg "$bin/createdb" -h "$dir" -U "$user" loyalty_test
    echo "$url"
    ;;
  stop)
    if [ -d "$dir/data" ]; then as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true; fi
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
