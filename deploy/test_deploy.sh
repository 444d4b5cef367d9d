#!/usr/bin/env bash
# `make test-deploy`: the deployment of deploy/docker-compose.yml, built and run with podman on this
# machine, tested through nginx, each container restarted in turn, then everything torn down.
#
#  1. installs podman, buildah, runc, debootstrap and podman-compose with apt when missing (root);
#  2. makes the base image localhost/debian:bookworm with debootstrap, once (no registry needed);
#  3. builds the images (deploy/Dockerfile: rasa, actions, console; deploy/Dockerfile.services:
#     nginx, redis, postgres), the CA bundle passed to pip as a build secret;
#  4. writes long random secrets into a throwaway env file (mode 600, removed at the end);
#  5. starts the stack with podman-compose (plus deploy/compose.test.yml: a local Twilio server),
#     migrates the records' schema, imports a member registry and a schedule, adds a console account;
#  6. runs the smoke test through nginx (tools/deploy_smoke.py): SMS signed with the Twilio token,
#     the web chat over Socket.IO, the console's sign-in, a booking by SMS; checks that the console
#     worker runs and did its work (a purge pass in its log);
#  7. restarts each container in turn (postgres, redis, actions, rasa, console, console-worker, nginx)
#     and checks after each that the service answers (the worker: runs again and purged again) and
#     the booking is still there;
#  8. tears down containers, volumes and network (images stay cached), keeping every container's log.
#
# Log: .run/deploy/test-deploy.log; container logs: .run/deploy/logs/. Ports: nginx on
# 127.0.0.1:${DEPLOY_HTTP_PORT:-18080}, the local Twilio server on 127.0.0.1:${DEPLOY_TWILIO_PORT:-18011}.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=$ROOT/.run/deploy
mkdir -p "$WORK/logs"
LOG=$WORK/test-deploy.log
: >"$LOG"
exec > >(tee -a "$LOG") 2>&1
started=$(date +%s)
step() { echo "==> [$(($(date +%s) - started)) s] $*"; }

PROJECT=${DEPLOY_PROJECT:-coopsante-test}
HTTP_PORT=${DEPLOY_HTTP_PORT:-18080}
TWILIO_PORT=${DEPLOY_TWILIO_PORT:-18011}
BASE_IMAGE=${BASE_IMAGE:-localhost/debian:bookworm}
CA_BUNDLE=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}

# --- 1. Tools ------------------------------------------------------------------------------------------------
missing=()
for pkg in podman buildah runc debootstrap podman-compose; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
  step "apt-get install ${missing[*]}"
  [ "$(id -u)" = 0 ] || { echo "run as root, or install: ${missing[*]}" >&2; exit 1; }
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# This machine's runtime and limits (../shared/PLATFORM.md): runc, not crun; lowered ulimits.
# A containers.conf of our own, for this script's podman commands only.
cat >"$WORK/containers.conf" <<'CONF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
CONF
export CONTAINERS_CONF=$WORK/containers.conf
step "$(podman --version), podman-compose $(dpkg-query -W -f='${Version}' podman-compose)"

# --- 2. Base image -------------------------------------------------------------------------------------------
if ! podman image exists "$BASE_IMAGE"; then
  mirror=$(grep -h -m1 -E '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
    | grep -m1 -E 'debian/?$|debian ' | sed -E 's/^URIs: *//; s/^deb (\[[^]]*\] )?//; s/ .*//') || true
  mirror=${mirror:-http://deb.debian.org/debian}
  step "debootstrap bookworm from $mirror into $BASE_IMAGE (about 2 minutes)"
  rootfs=$(mktemp -d /var/tmp/coopsante-rootfs.XXXXXX)
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$WORK/logs/debootstrap.log" 2>&1
  tar -C "$rootfs" -c . | podman import - "$BASE_IMAGE" >/dev/null
  rm -rf "$rootfs"
fi

# --- 3. Images -----------------------------------------------------------------------------------------------
step "staging the build context (the model and the widget from make train web)"
bash deploy/build_context.sh "$WORK/context"
build() {  # build DOCKERFILE TARGET CONTEXT
  local began=$SECONDS
  podman build --format docker --layers --build-arg "BASE=$BASE_IMAGE" \
    --secret "id=pip_ca,src=$CA_BUNDLE" --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
    -f "$1" --target "$2" -t "localhost/coop-sante-$2:local" "$3" >"$WORK/logs/build-$2.log" 2>&1 \
    || { tail -20 "$WORK/logs/build-$2.log"; echo "building $2 failed; see $WORK/logs/build-$2.log" >&2; exit 1; }
  echo "    coop-sante-$2:local built in $((SECONDS - began)) s"
}
step "building the images (first time: about 6 minutes on 2 cores, the virtualenv; then cached)"
for target in rasa actions console; do build "$WORK/context/deploy/Dockerfile" "$target" "$WORK/context"; done
for target in postgres redis nginx; do build deploy/Dockerfile.services "$target" deploy; done

# --- 4. Throwaway secrets ------------------------------------------------------------------------------------
ENV_FILE=$WORK/test.env
secret() { python3 -c 'import secrets; print(secrets.token_hex(32))'; }
umask 077
cat >"$ENV_FILE" <<ENV
COOPSANTE_ENV=production
PSEUDONYM_KEY=$(secret)
RASA_TOKEN=$(secret)
REDIS_PASSWORD=$(secret)
POSTGRES_PASSWORD=$(secret)
WEB_JWT_SECRET=$(secret)
TWILIO_ACCOUNT_SID=AC00000000000000000000000000000000
TWILIO_AUTH_TOKEN=$(secret)
TWILIO_FROM_NUMBER=+18195550100
TWILIO_API_BASE_URL=http://twilio:5011
PUBLIC_BASE_URL=http://127.0.0.1:$HTTP_PORT
WEB_ALLOWED_ORIGINS=https://www.coop-val-morin.example
BOT_SERVER_NAME=127.0.0.1
CONSOLE_SERVER_NAME=localhost
HTTP_BIND=127.0.0.1:$HTTP_PORT
TWILIO_LOCAL_BIND=127.0.0.1:$TWILIO_PORT
CONSOLE_SECURE_COOKIES=0
TRACKER_RETENTION_DAYS=30
HANDOFF_TIMEOUT_SECONDS=300
LOG_LEVEL=INFO
IMAGE_TAG=local
BASE_IMAGE=$BASE_IMAGE
ENV
umask 022
set -a
# shellcheck disable=SC1090
. "$ENV_FILE"
set +a
export COOPSANTE_ENV_FILE=$ENV_FILE

compose() {
  podman-compose -p "$PROJECT" -f deploy/docker-compose.yml -f deploy/compose.test.yml "$@"
}
container() { echo "${PROJECT}_$1_1"; }
SERVICES=(postgres redis migrate actions rasa console console-worker nginx twilio)

teardown() {
  local code=$?
  trap - EXIT INT TERM
  step "keeping the containers' logs in $WORK/logs/, then tearing down"
  for service in "${SERVICES[@]}"; do
    podman logs "$(container "$service")" >"$WORK/logs/$service.log" 2>&1 || true
  done
  compose down -v >"$WORK/logs/compose-down.log" 2>&1 || true
  podman volume rm -f "${PROJECT}_postgres-data" "${PROJECT}_redis-data" >/dev/null 2>&1 || true
  podman network rm -f "${PROJECT}_default" "${PROJECT}_internal" >/dev/null 2>&1 || true
  rm -f "$ENV_FILE" "$WORK/state.json"
  left=$(podman ps -a --filter "name=^${PROJECT}_" --format '{{.Names}}' | tr '\n' ' ')
  volumes=$(podman volume ls --filter "name=^${PROJECT}_" --format '{{.Name}}' | tr '\n' ' ')
  networks=$(podman network ls --filter "name=^${PROJECT}_" --format '{{.Name}}' | tr '\n' ' ')
  echo "    left behind: containers [${left}] volumes [${volumes}] networks [${networks}]"
  if ((code == 0)); then
    step "make test-deploy passed in $(($(date +%s) - started)) s"
  else
    step "make test-deploy FAILED (exit $code) after $(($(date +%s) - started)) s; log: $LOG"
  fi
  exit "$code"
}
trap teardown EXIT
trap 'exit 130' INT TERM

# --- 5. Start ------------------------------------------------------------------------------------------------
compose down -v >/dev/null 2>&1 || true # what a previous, interrupted run left
wait_until() {  # wait_until LABEL SECONDS COMMAND...
  local label=$1 limit=$2 began=$SECONDS
  shift 2
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS - began > limit)); then echo "$label: not within $limit s" >&2; return 1; fi
    sleep 2
  done
  echo "    $label ($((SECONDS - began)) s)"
}
address() { podman inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' "$(container "$1")"; }
healthy() {  # healthy SERVICE SECONDS: its container's health check (the compose file's) passes
  wait_until "$1 healthy" "$2" podman healthcheck run "$(container "$1")"
}
# The console worker has no port, hence no health check: it runs, and its log shows its work.
worker_starts() { podman logs "$(container console-worker)" 2>&1 | grep -c 'console.worker_started' || true; }
worker_worked() {  # worker_worked STARTS: running, started at least STARTS times, a purge pass since the last start
  [ "$(podman inspect -f '{{.State.Running}}' "$(container console-worker)")" = true ] || return 1
  [ "$(worker_starts)" -ge "$1" ] || return 1
  podman logs "$(container console-worker)" 2>&1 \
    | awk '/console\.worker_started/ { purged = 0 } /console\.purged/ { purged = 1 } END { exit !purged }'
}
# podman-compose 1.0 starts services in dependency order but does not wait for health checks, so
# the stack comes up in the order Docker Compose's depends_on conditions would give.
step "starting PostgreSQL and Redis"
compose up -d postgres redis >"$WORK/logs/compose-up.log" 2>&1
wait_until "PostgreSQL ready" 60 podman exec "$(container postgres)" pg_isready -h 127.0.0.1 -q
wait_until "Redis ready" 30 podman exec "$(container redis)" sh -c 'redis-cli ping | grep -q PONG'
step "migrating the records' schema"
compose up -d migrate >>"$WORK/logs/compose-up.log" 2>&1
code=$(podman wait "$(container migrate)")
podman logs "$(container migrate)" 2>&1 | tail -2
[ "$code" = 0 ] || { echo "the migration failed (exit $code)" >&2; exit 1; }
step "starting the actions, Rasa, the console and its worker, nginx and the local Twilio server"
compose up -d actions rasa console console-worker nginx twilio >>"$WORK/logs/compose-up.log" 2>&1
for service in actions rasa console nginx; do healthy "$service" 300; done
wait_until "the console worker runs and purged" 60 worker_worked 1
podman logs "$(container console-worker)" 2>&1 | grep -m1 'console.purged' | sed 's/^/    /'
wait_until "Rasa answers through nginx" 60 curl -sf "http://127.0.0.1:$HTTP_PORT/webhooks/sms/"
wait_until "the console answers through nginx" 60 curl -sf -H "Host: localhost" "http://127.0.0.1:$HTTP_PORT/sante"
podman ps --filter "name=^${PROJECT}_" --format '    {{.Names}}  {{.Status}}'

step "importing a member registry and a schedule, adding a console account (in the console container)"
.venv/bin/python -m tools.deploy_smoke members-csv \
  | podman exec -i "$(container console)" python -m ops.import_members /dev/stdin | tail -1
podman exec "$(container console)" python -m ops.import_schedule --demo-if-empty
account=$(podman exec "$(container console)" python -m ops.console_user add smoke@coop.example \
  --name "Test de fumée" --role infirmiere --coop val-morin)
export CONSOLE_EMAIL=smoke@coop.example
CONSOLE_PASSWORD=$(echo "$account" | sed -E 's/.*: ([^ ]+) \(.*/\1/')
export CONSOLE_PASSWORD
export BOT_URL=http://127.0.0.1:$HTTP_PORT CONSOLE_URL=http://localhost:$HTTP_PORT
export TWILIO_URL=http://127.0.0.1:$TWILIO_PORT WEB_ORIGIN=https://www.coop-val-morin.example

# --- 6. Smoke test -------------------------------------------------------------------------------------------
step "smoke test through nginx"
PYTHONPATH=$ROOT .venv/bin/python -m tools.deploy_smoke first --state "$WORK/state.json"

# --- 7. Restarts ---------------------------------------------------------------------------------------------
for service in postgres redis actions rasa console console-worker nginx; do
  step "restarting $service"
  starts=$(worker_starts)
  before=$(address "$service")
  # Without systemd, podman cannot schedule periodic health checks and says so on each restart:
  # that goes to a log, and the health checks are run on demand below.
  podman restart "$(container "$service")" >/dev/null 2>>"$WORK/logs/podman-restart.log"
  after=$(address "$service")
  echo "    address $before -> $after"
  if [ "$service" = console-worker ]; then
    wait_until "the console worker runs again and purged" 60 worker_worked $((starts + 1))
  else
    healthy "$service" 300
    wait_until "the console worker still runs" 60 worker_worked "$starts"
  fi
  wait_until "Rasa answers through nginx" 60 curl -sf "http://127.0.0.1:$HTTP_PORT/webhooks/sms/"
  wait_until "the console answers through nginx" 60 curl -sf -H "Host: localhost" "http://127.0.0.1:$HTTP_PORT/sante"
  PYTHONPATH=$ROOT .venv/bin/python -m tools.deploy_smoke again --state "$WORK/state.json"
done
