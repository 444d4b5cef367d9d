#!/bin/sh
# The Rasa image's entry point. With no argument (or `serve`) it runs the production server from the
# environment alone; with a whole `rasa run ...` command (deploy/docker-compose.yml's, as
# deploy/processes.toml declares it) it runs that one the same way; any other arguments go to `rasa`
# itself (`rasa data validate`, the Helm chart's `run ...`).
#
# The production server: the token and the settings are checked first, and endpoints.yml, which names
# `make run`'s action server (localhost:5055), is copied to /tmp/endpoints.yml pointing at
# ACTION_ENDPOINT_URL instead.
set -eu
case "${1:-serve}" in
  serve)
    : "${RASA_TOKEN:?RASA_TOKEN must be set: the HTTP API never runs without a token}"
    set -- rasa run --enable-api --interface 0.0.0.0 --port 5005 --model models/coop-sante.tar.gz \
      --endpoints /tmp/endpoints.yml --credentials credentials.prod.yml --auth-token "$RASA_TOKEN" \
      --logging-config-file deploy/logging.yml
    ;;
  rasa)
    [ "${2:-}" = run ] || exec "$@"
    ;;
  *)
    exec rasa "$@"
    ;;
esac
: "${RASA_TOKEN:?RASA_TOKEN must be set: the HTTP API never runs without a token}"
: "${REDIS_URL:?REDIS_URL must be set}"
python -m bot.platform.settings # placeholder or short secrets: one line, and no start
python - /tmp/endpoints.yml <<'PY'
import os
import sys

import yaml

with open("endpoints.yml", encoding="utf-8") as source:
    config = yaml.safe_load(source)
config["action_endpoint"] = {"url": os.environ.get("ACTION_ENDPOINT_URL", "http://actions:5055/webhook")}
with open(sys.argv[1], "w", encoding="utf-8") as target:
    yaml.safe_dump(config, target)
PY
exec "$@"
