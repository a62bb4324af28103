#!/usr/bin/env bash
# Development stack in one terminal: migrate, seed the demo organization, collect static files,
# then run the web server on 127.0.0.1:$PORT and a Celery worker with embedded beat.
# Ctrl-C (or SIGTERM) stops both; if either one dies, the other is stopped too.
#
# Called by `make run` (which installs the virtualenv first). Environment:
#   PORT=8000        web port             HOST=127.0.0.1   bind address
#   DEBUG=1          development mode     SEED=0           skip `manage.py seed_demo`
#   DATABASE_URL, CELERY_BROKER_URL, REDIS_URL ... as in the README (unset = embedded default)
set -euo pipefail
cd "$(dirname "$0")/.."

unset PYTHONDONTWRITEBYTECODE
for var in DATABASE_URL CELERY_BROKER_URL EMAIL_URL; do  # set-but-empty is an error in django-environ
  [ -n "${!var:-}" ] || unset "$var"
done
export DEBUG=${DEBUG:-1}
PORT=${PORT:-8000}
HOST=${HOST:-127.0.0.1}
export SITE_URL=${SITE_URL:-http://127.0.0.1:$PORT}
PY=.venv/bin/python
CELERY=.venv/bin/celery

if [ -t 1 ]; then bold=$'\033[1m' red=$'\033[1;31m' off=$'\033[0m'; else bold='' red='' off=''; fi
say() { printf '%srun:%s %s\n' "$bold" "$off" "$*"; }
die() { printf '%srun: %s%s\n' "$red" "$*" "$off" >&2; exit 1; }

[ -x "$PY" ] && [ -x "$CELERY" ] || die "no virtualenv in .venv: use 'make run' (it installs first)"
if (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; then
  die "port $PORT on $HOST is already in use: stop that server or use 'make run PORT=8001'"
fi

say "migrating the database"
"$PY" manage.py migrate --noinput -v0

SEED_LOG=var/seed_demo.log
mkdir -p var && : >"$SEED_LOG"
if [ "${SEED:-1}" != 0 ]; then
  say "seeding the demo organization (manage.py seed_demo)"
  if ! "$PY" manage.py seed_demo 2>&1 | tee "$SEED_LOG"; then
    grep -q "Unknown command" "$SEED_LOG" &&
      die "the seed_demo management command does not exist yet (SEED=0 skips this step)"
    die "manage.py seed_demo failed (see above; SEED=0 skips this step)"
  fi
fi

say "collecting static files"
"$PY" manage.py collectstatic --noinput -v0

pids=()
stop_all() {
  trap - INT TERM EXIT
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  # Celery finishes the running task on a warm shutdown; do not wait forever.
  for _ in $(seq 100); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap 'echo; say "stopping"; stop_all; exit 130' INT
trap 'say "stopping"; stop_all; exit 143' TERM
trap stop_all EXIT

"$PY" manage.py runserver "$HOST:$PORT" --noreload &
pids+=($!)
"$CELERY" -A config worker -B --pool=solo --without-mingle --without-gossip -l info &
pids+=($!)

for _ in $(seq 300); do
  (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null && break
  kill -0 "${pids[0]}" 2>/dev/null || break
  sleep 0.1
done
sleep 2  # let the worker print its banner first, so this summary stays at the bottom
echo
say "Jornada is running at http://$HOST:$PORT/"
if [ -s "$SEED_LOG" ]; then say "demo data (from seed_demo):"; tail -n 20 "$SEED_LOG" | sed 's/^/    /'; fi
say "web: runserver pid ${pids[0]}; worker with beat: celery pid ${pids[1]}. Ctrl-C stops both."
echo

# Return as soon as either process exits; the EXIT trap then stops the other one.
set +e
while :; do
  for pid in "${pids[@]}"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid"
      rc=$?
      say "process $pid exited (status $rc): stopping the other one"
      exit $((rc == 0 ? 1 : rc))
    fi
  done
  sleep 0.5
done
