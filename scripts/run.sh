#!/usr/bin/env bash
# Starts everything for local use: PostgreSQL and Redis (unless DATABASE_URL, REDIS_URL are set),
# the action server and the Rasa server with the REST and SMS channels, the clinician console and
# its worker (reminders, no-answer notices, purge). Without Twilio credentials
# in the environment, SMS goes to a local Twilio-compatible server with a texting simulator (no
# real SMS is sent).
# Ctrl-C stops every process this script started. A process that dies is started again (Redis
# from its append-only file, a Rasa server with its model), as a service manager would.
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}

RASA_PORT=${RASA_PORT:-5005}
ACTIONS_PORT=${ACTIONS_PORT:-5055}
REDIS_PORT=${REDIS_PORT:-6380}
POSTGRES_PORT=${POSTGRES_PORT:-5440}
TWILIO_LOCAL_PORT=${TWILIO_LOCAL_PORT:-5011}
RUN_DIR=${RUN_DIR:-.run}
mkdir -p "$RUN_DIR/redis" "$RUN_DIR/logs"
RUN_DIR=$(cd "$RUN_DIR" && pwd)
# Secrets: with COOPSANTE_ENV=production, a placeholder or short secret stops here in one line.
# Otherwise PSEUDONYM_KEY, when not set, is made once into .run/secrets/ (bot/platform/settings.py).
.venv/bin/python -m bot.platform.settings || exit 1

declare -A name_of=() command_of=() log_of=()
launch() {  # launch NAME LOGFILE COMMAND...: start in the background, remembered for restarts
  local name=$1 log=$2; shift 2
  command_of[$name]=$(printf '%q ' "$@")
  log_of[$name]=$log
  "$@" >>"$RUN_DIR/logs/$log" 2>&1 &
  name_of[$!]=$name
}
relaunch() {
  local name=$1
  eval "exec ${command_of[$name]}" >>"$RUN_DIR/logs/${log_of[$name]}" 2>&1 &  # exec: the PID is the process
  name_of[$!]=$name
}
stop_all() {
  trap - INT TERM EXIT
  stopping=1
  local running=("${!name_of[@]}")
  if ((${#running[@]})); then
    echo; echo "==> stopping (${running[*]})"
    kill -TERM "${running[@]}" 2>/dev/null || true
    wait "${running[@]}" 2>/dev/null || true
  fi
}
# A requested stop (Ctrl-C, kill) is a clean exit.
trap 'stop_all; exit 0' INT TERM
trap stop_all EXIT

wait_for() {  # wait_for NAME SECONDS COMMAND...
  local name=$1 limit=$2; shift 2
  for ((i = 0; i < limit * 2; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    for pid in "${!name_of[@]}"; do
      kill -0 "$pid" 2>/dev/null || { echo "$name stopped; see $RUN_DIR/logs/" >&2; exit 1; }
    done
    sleep 0.5
  done
  echo "$name did not start within $limit s; see $RUN_DIR/logs/" >&2
  exit 1
}

if [ -z "${DATABASE_URL:-}" ]; then
  # The embedded default for the records (tickets, bookings, consent, audit, members): Debian's
  # PostgreSQL on a data folder private to this checkout, migrated to the newest schema.
  launch PostgreSQL postgres.log .venv/bin/python -m tools.postgres_local serve --data "$RUN_DIR/postgres" \
    --port "$POSTGRES_PORT"
  DATABASE_URL=$(.venv/bin/python -m tools.postgres_local prepare --port "$POSTGRES_PORT" 2>>"$RUN_DIR/logs/postgres.log") \
    || { echo "PostgreSQL did not start; see $RUN_DIR/logs/postgres.log" >&2; exit 1; }
  export DATABASE_URL
  embedded_database=1
else
  .venv/bin/python -c 'import os; from bot.records.database import migrate; migrate(os.environ["DATABASE_URL"])'
fi

if [ -z "${REDIS_URL:-}" ]; then
  # The embedded default: a real Redis server, private to this checkout, with an append-only
  # file so conversations survive a restart.
  launch Redis redis-stdout.log redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$RUN_DIR/redis" \
    --appendonly yes --appendfsync everysec --save "" --logfile "$RUN_DIR/logs/redis.log"
  export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
  wait_for Redis 10 redis-cli -p "$REDIS_PORT" ping
  # Only the embedded Redis gets fictional members; a real registry is imported with
  # `make import-members FILE=...`.
  .venv/bin/python -m ops.import_members --demo-if-empty
  .venv/bin/python -m ops.import_schedule --demo-if-empty
  if [ -n "${embedded_database:-}" ]; then
    # A fictional week of service for the managers' dashboard: never on a real database.
    .venv/bin/python -m tools.demo_service --demo-if-empty
  fi
  embedded_redis=1
fi

export PUBLIC_BASE_URL=${PUBLIC_BASE_URL:-http://127.0.0.1:$RASA_PORT}
# Sites allowed to open the web chat: the local server itself (its demo page) by default.
export WEB_ALLOWED_ORIGINS=${WEB_ALLOWED_ORIGINS:-http://127.0.0.1:$RASA_PORT,http://localhost:$RASA_PORT}
if [ -z "${TWILIO_ACCOUNT_SID:-}" ]; then
  # The embedded default for SMS: Twilio's API played locally, with a throwaway token unless
  # one is given (the tests sign their own webhooks with it).
  export TWILIO_ACCOUNT_SID=AC00000000000000000000000000000000
  TWILIO_AUTH_TOKEN=${TWILIO_AUTH_TOKEN:-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')}
  export TWILIO_AUTH_TOKEN
  export TWILIO_FROM_NUMBER=${TWILIO_FROM_NUMBER:-+18195550100}
  export TWILIO_API_BASE_URL=http://127.0.0.1:$TWILIO_LOCAL_PORT
  launch "Local Twilio server" twilio_local.log .venv/bin/python -m tools.twilio_local --port "$TWILIO_LOCAL_PORT" \
    --webhook-url "$PUBLIC_BASE_URL/webhooks/sms/webhook" --voice-url "$PUBLIC_BASE_URL/webhooks/voice/webhook"
  wait_for "Local Twilio server" 30 curl -sf "http://127.0.0.1:$TWILIO_LOCAL_PORT/health"
  sms_info="SMS simulator       http://127.0.0.1:$TWILIO_LOCAL_PORT/  (local: no real SMS is sent)
  Phone simulator     .venv/bin/python -m tools.voice_client --twilio http://127.0.0.1:$TWILIO_LOCAL_PORT"
else
  sms_info="SMS (Twilio)        webhook $PUBLIC_BASE_URL/webhooks/sms/webhook, status $PUBLIC_BASE_URL/webhooks/sms/status
  Phone (Twilio)      voice webhook $PUBLIC_BASE_URL/webhooks/voice/webhook"
fi

endpoints=endpoints.yml
if [ "$ACTIONS_PORT" != 5055 ]; then
  endpoints=$RUN_DIR/endpoints.yml
  sed "s#localhost:5055#localhost:$ACTIONS_PORT#" endpoints.yml > "$endpoints"
fi

launch "Action server" actions.log .venv/bin/rasa run actions --port "$ACTIONS_PORT" --actions actions
start_rasa() {  # start_rasa NAME PORT LOG
  launch "$1" "$3" .venv/bin/rasa run --enable-api --interface 127.0.0.1 --port "$2" \
    --model models/coop-sante.tar.gz --endpoints "$endpoints" --credentials credentials.yml
}
# RASA_PROCESSES=N (N > 1): N Rasa servers on the next ports, behind nginx on RASA_PORT. They share
# the Redis stores and the Socket.IO Redis manager; Socket.IO long-polling sticks to one server.
# By default as many as the machine has cores, and no more than its free memory holds (about
# 1 GB each): one Python process uses one core.
if [ -z "${RASA_PROCESSES:-}" ]; then
  free_gb=$(awk '/MemAvailable/ {print int($2 / 1048576)}' /proc/meminfo)
  RASA_PROCESSES=$(nproc)
  if ((free_gb < RASA_PROCESSES)); then RASA_PROCESSES=$free_gb; fi
  if ((RASA_PROCESSES < 1)); then RASA_PROCESSES=1; fi
fi
rasa_ports=()
if ((RASA_PROCESSES > 1)); then
  for ((i = 1; i <= RASA_PROCESSES; i++)); do
    rasa_ports+=($((RASA_PORT + i)))
    start_rasa "Rasa server $i" $((RASA_PORT + i)) "rasa-$i.log"
  done
  mkdir -p "$RUN_DIR/nginx"
  # The same template as production's nginx (deploy/nginx.conf.template): same locations, request
  # rates and Socket.IO stickiness. Loopback is exempt from the rates unless NGINX_LIMIT_LOOPBACK=1:
  # this nginx listens on 127.0.0.1 only, where the load tests and benchmarks (tests/scale, make bench)
  # come from. The console is not behind this nginx.
  nginx_args=(local --listen "127.0.0.1:$RASA_PORT" --state-dir "$RUN_DIR/nginx" --error-log "$RUN_DIR/logs/nginx.log")
  for port in "${rasa_ports[@]}"; do nginx_args+=(--rasa "127.0.0.1:$port"); done
  if [ "${NGINX_LIMIT_LOOPBACK:-0}" = 1 ]; then nginx_args+=(--limit-loopback); fi
  .venv/bin/python deploy/render_nginx.py "${nginx_args[@]}" >"$RUN_DIR/nginx/nginx.conf"
  launch nginx nginx-stdout.log /usr/sbin/nginx -c "$RUN_DIR/nginx/nginx.conf" -p "$RUN_DIR/nginx"
else
  rasa_ports+=("$RASA_PORT")
  start_rasa "Rasa server" "$RASA_PORT" rasa.log
fi

# The clinician console. Demo accounts only on the embedded Redis, their passwords printed once.
CONSOLE_PORT=${CONSOLE_PORT:-5020}
export RASA_URL=http://127.0.0.1:$RASA_PORT
console_accounts="  (accounts: python -m ops.console_user add EMAIL --name NAME --role infirmiere --coop COOP)"
if [ -n "${embedded_redis:-}" ]; then
  console_accounts=$(.venv/bin/python -m ops.console_user demo)
fi
launch Console console.log .venv/bin/python -m console --port "$CONSOLE_PORT"
# The console's timed work in its own process: no-answer notices, booking reminders, the hourly
# purge. Reminders go out while the console is stopped; two workers never send one twice.
launch "Console worker" worker.log .venv/bin/python -m console.worker

start=$(date +%s)
wait_for "Action server" 120 curl -sf "http://localhost:$ACTIONS_PORT/health"
for port in "${rasa_ports[@]}"; do
  wait_for "Rasa server" 300 curl -sf "http://localhost:$port/status"
done
wait_for "Rasa (front)" 30 curl -sf "http://localhost:$RASA_PORT/status"
wait_for "Console" 30 curl -sf "http://127.0.0.1:$CONSOLE_PORT/sante"

cat <<INFO

Coop Santé Triage is up ($(( $(date +%s) - start )) s to load).
  Rasa server (REST)  http://localhost:$RASA_PORT/webhooks/rest/webhook  (${RASA_PROCESSES} process(es))
  Web chat demo page  http://127.0.0.1:$RASA_PORT/webhooks/web/demo
  Clinician console   http://127.0.0.1:$CONSOLE_PORT/
$console_accounts
  $sms_info
  Action server       http://localhost:$ACTIONS_PORT/webhook
  Redis               $(echo "$REDIS_URL" | sed -E 's#//[^@]*@#//***@#')
  PostgreSQL          $(echo "$DATABASE_URL" | sed -E 's#//[^@]*@#//***@#')
  Logs                $RUN_DIR/logs/

Try:  curl -s localhost:$RASA_PORT/webhooks/rest/webhook -d '{"sender":"moi","message":"quelles sont vos heures?"}'
Ctrl-C stops everything.
INFO
stopping=0
while ((!stopping)); do
  gone=""
  wait -n -p gone "${!name_of[@]}" 2>/dev/null || true
  if [ -z "$gone" ] || ((stopping)); then continue; fi
  name=${name_of[$gone]:-}
  unset "name_of[$gone]"
  [ -n "$name" ] || continue
  sleep 1  # a stop requested meanwhile (Ctrl-C) runs its trap here, before any restart
  ((stopping)) && break
  echo "$(date '+%F %T') $name stopped; starting it again (logs in $RUN_DIR/logs/)" >&2
  relaunch "$name"
done
