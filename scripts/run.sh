#!/usr/bin/env bash
# Starts everything for local use: Redis (unless REDIS_URL is set), the action server and the
# Rasa server with the REST and SMS channels. Without Twilio credentials in the environment, SMS
# goes to a local Twilio-compatible server with a texting simulator (no real SMS is sent).
# Ctrl-C stops every process this script started.
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}

RASA_PORT=${RASA_PORT:-5005}
ACTIONS_PORT=${ACTIONS_PORT:-5055}
REDIS_PORT=${REDIS_PORT:-6380}
TWILIO_LOCAL_PORT=${TWILIO_LOCAL_PORT:-5011}
RUN_DIR=${RUN_DIR:-.run}
mkdir -p "$RUN_DIR/redis" "$RUN_DIR/logs"
RUN_DIR=$(cd "$RUN_DIR" && pwd)

pids=()
stop_all() {
  trap - INT TERM EXIT
  if ((${#pids[@]})); then
    echo; echo "==> stopping (${pids[*]})"
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
}
# A requested stop (Ctrl-C, kill) is a clean exit.
trap 'stop_all; exit 0' INT TERM
trap stop_all EXIT

wait_for() {  # wait_for NAME SECONDS COMMAND...
  local name=$1 limit=$2; shift 2
  for ((i = 0; i < limit * 2; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    for pid in "${pids[@]}"; do
      kill -0 "$pid" 2>/dev/null || { echo "$name stopped; see $RUN_DIR/logs/" >&2; exit 1; }
    done
    sleep 0.5
  done
  echo "$name did not start within $limit s; see $RUN_DIR/logs/" >&2
  exit 1
}

if [ -z "${REDIS_URL:-}" ]; then
  # The embedded default: a real Redis server, private to this checkout, with an append-only
  # file so conversations survive a restart.
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$RUN_DIR/redis" \
    --appendonly yes --appendfsync everysec --save "" --logfile "$RUN_DIR/logs/redis.log" &
  pids+=($!)
  export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
  wait_for Redis 10 redis-cli -p "$REDIS_PORT" ping
  # Only the embedded Redis gets fictional members; a real registry is imported with
  # `make import-members FILE=...`.
  .venv/bin/python -m tools.import_members --demo-if-empty
  .venv/bin/python -m tools.import_schedule --demo-if-empty
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
  .venv/bin/python -m tools.twilio_local --port "$TWILIO_LOCAL_PORT" \
    --webhook-url "$PUBLIC_BASE_URL/webhooks/sms/webhook" >"$RUN_DIR/logs/twilio_local.log" 2>&1 &
  pids+=($!)
  wait_for "Local Twilio server" 30 curl -sf "http://127.0.0.1:$TWILIO_LOCAL_PORT/health"
  sms_info="SMS simulator       http://127.0.0.1:$TWILIO_LOCAL_PORT/  (local: no real SMS is sent)"
else
  sms_info="SMS (Twilio)        webhook $PUBLIC_BASE_URL/webhooks/sms/webhook, status $PUBLIC_BASE_URL/webhooks/sms/status"
fi

endpoints=endpoints.yml
if [ "$ACTIONS_PORT" != 5055 ]; then
  endpoints=$RUN_DIR/endpoints.yml
  sed "s#localhost:5055#localhost:$ACTIONS_PORT#" endpoints.yml > "$endpoints"
fi

.venv/bin/rasa run actions --port "$ACTIONS_PORT" --actions actions >"$RUN_DIR/logs/actions.log" 2>&1 &
pids+=($!)
.venv/bin/rasa run --enable-api --interface 127.0.0.1 --port "$RASA_PORT" \
  --model models/coop-sante.tar.gz --endpoints "$endpoints" --credentials credentials.yml \
  >"$RUN_DIR/logs/rasa.log" 2>&1 &
pids+=($!)

# The clinician console. Demo accounts only on the embedded Redis, their passwords printed once.
CONSOLE_PORT=${CONSOLE_PORT:-5020}
export RASA_URL=http://127.0.0.1:$RASA_PORT
console_accounts="  (accounts: python -m tools.console_user add EMAIL --name NAME --role infirmiere)"
if [ -n "${embedded_redis:-}" ]; then
  console_accounts=$(.venv/bin/python -m tools.console_user demo)
fi
.venv/bin/python -m console --port "$CONSOLE_PORT" >"$RUN_DIR/logs/console.log" 2>&1 &
pids+=($!)

start=$(date +%s)
wait_for "Action server" 120 curl -sf "http://localhost:$ACTIONS_PORT/health"
wait_for "Rasa server" 180 curl -sf "http://localhost:$RASA_PORT/status"
wait_for "Console" 30 curl -sf "http://127.0.0.1:$CONSOLE_PORT/sante"

cat <<INFO

Coop Santé Triage is up ($(( $(date +%s) - start )) s to load).
  Rasa server (REST)  http://localhost:$RASA_PORT/webhooks/rest/webhook
  Web chat demo page  http://127.0.0.1:$RASA_PORT/webhooks/web/demo
  Clinician console   http://127.0.0.1:$CONSOLE_PORT/
$console_accounts
  $sms_info
  Action server       http://localhost:$ACTIONS_PORT/webhook
  Redis               $(echo "$REDIS_URL" | sed -E 's#//[^@]*@#//***@#')
  Logs                $RUN_DIR/logs/

Try:  curl -s localhost:$RASA_PORT/webhooks/rest/webhook -d '{"sender":"moi","message":"quelles sont vos heures?"}'
Ctrl-C stops everything.
INFO
wait -n "${pids[@]}" || true
echo "A process stopped; see $RUN_DIR/logs/." >&2
