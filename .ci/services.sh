# .ci/services.sh — source me from the repository root. Idempotent start/stop of a throwaway
# PostgreSQL cluster + Redis (no systemd, no Docker), root or not.
#   source .ci/services.sh && ci_services_start   # exports DATABASE_URL, REDIS_URL, CELERY_BROKER_URL
#   ci_services_stop
# Overridable: CI_STATE_DIR, PGPORT, REDIS_PORT.
CI_STATE_DIR=${CI_STATE_DIR:-${TMPDIR:-/tmp}/jornada-$(basename "$PWD")-ci-state}   # outside the clone; postgres must traverse it
PGPORT=${PGPORT:-15432}   # keep ports below 32768: 32768-60999 is the ephemeral range, a loopback client socket can hold it
REDIS_PORT=${REDIS_PORT:-16379}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
PGDATA=$CI_STATE_DIR/pg
PGSOCK=$CI_STATE_DIR/pgsock
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_up() { "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT" -U postgres "$@"; }
# a killed postmaster can linger as a zombie (PID 1 here reaps late): kill(pid,0) still succeeds, so
# postgres refuses to start ("lock file postmaster.pid already exists"). Treat Z state as dead.
live_postgres() { local st; st=$(awk '/^State:/{print $2}' "/proc/$1/status" 2>/dev/null)
  [ -n "$st" ] && [ "$st" != Z ] && grep -qsx postgres "/proc/$1/comm"; }
redis_up() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }
# Is the server on the port the one of THIS state dir? Another clone's CI (or a leftover) may
# hold the port: never adopt it (its data is not ours) and never stop it.
pg_ours() { [ -f "$PGDATA/postmaster.pid" ] && live_postgres "$(head -1 "$PGDATA/postmaster.pid")"; }
redis_ours() { local pid; pid=$(cat "$CI_STATE_DIR/redis/redis.pid" 2>/dev/null) &&
  grep -qs '^redis-server' "/proc/$pid/comm"; }

ci_services_start() {
  mkdir -p "$CI_STATE_DIR" && chmod 755 "$CI_STATE_DIR"
  # --- PostgreSQL: private throwaway cluster, trust auth, fsync off ---
  # shared_buffers as a 24 GiB production host would have it (~1/6 of memory; touched
  # lazily, so small suites do not pay for it): the 100k-account benchmarks' hot indexes fit.
  local want_ver; want_ver=$(basename "$(dirname "$PGBIN")")
  if [ -f "$PGDATA/PG_VERSION" ] && [ "$(cat "$PGDATA/PG_VERSION")" != "$want_ver" ]; then
    as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PGDATA"
  fi
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    rm -rf "$PGDATA"; mkdir -p "$PGDATA" "$PGSOCK"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$PGDATA" "$PGSOCK"
    chmod 700 "$PGDATA"
    as_pg "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if pg_up && ! pg_ours; then
    echo "ci: port $PGPORT is served by a PostgreSQL that is not $PGDATA: stop it or set PGPORT" >&2
    return 1
  fi
  if ! pg_up; then
    # stale pid file from a killed session: drop it unless that PID really is a postgres
    local f pid
    for f in "$PGDATA/postmaster.pid" "$PGSOCK/.s.PGSQL.$PGPORT.lock"; do
      [ -f "$f" ] || continue
      pid=$(head -1 "$f"); pid=${pid#-}
      live_postgres "$pid" || rm -f "$f"
    done
    as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -t 60 -o \
      "-p $PGPORT -k $PGSOCK -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=${PG_SHARED_BUFFERS:-4GB} -c effective_cache_size=12GB -c max_wal_size=4GB" \
      start >/dev/null || { tail -20 "$PGDATA/server.log"; return 1; }
  fi
  pg_up -t 30
  psql -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt <<'SQL'
DO $$BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app') THEN
    CREATE ROLE app LOGIN PASSWORD 'app' CREATEDB;   -- CREATEDB: pytest-django creates test_app
  END IF;
END$$;
SELECT 'CREATE DATABASE app OWNER app' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'app')\gexec
SQL
  export DATABASE_URL="postgres://app:app@127.0.0.1:$PGPORT/app"
  # --- Redis ---
  if redis_up && ! redis_ours; then
    echo "ci: port $REDIS_PORT is served by a Redis not started from $CI_STATE_DIR: stop it or set REDIS_PORT" >&2
    return 1
  fi
  if ! redis_up; then
    mkdir -p "$CI_STATE_DIR/redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$CI_STATE_DIR/redis" \
      --pidfile "$CI_STATE_DIR/redis/redis.pid" --logfile "$CI_STATE_DIR/redis/redis.log" \
      --save '' --appendonly no
    local i; for i in $(seq 100); do redis_up && break; sleep 0.1; done
    redis_up || { tail -20 "$CI_STATE_DIR/redis/redis.log"; return 1; }
  fi
  # cache on db 1: a cache.clear() (FLUSHDB) must not wipe the broker queues on db 0
  export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/1" CELERY_BROKER_URL="redis://127.0.0.1:$REDIS_PORT/0"
}

ci_services_stop() {
  if redis_ours; then redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true; fi
  if [ -f "$PGDATA/PG_VERSION" ]; then as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1 || true; fi
}
