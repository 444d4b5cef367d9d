#!/bin/sh
# The Rasa image's entry point. With no argument (or `serve`) it runs the production server from the
# environment alone; any other arguments go to `rasa` itself (`rasa data validate`, the Helm
# chart's `run ...`). endpoints.yml names `make run`'s action server (localhost:5055): the server
# gets a copy pointing at ACTION_ENDPOINT_URL instead.
set -eu
if [ "${1:-serve}" != serve ]; then
  exec rasa "$@"
fi
: "${RASA_TOKEN:?RASA_TOKEN must be set: the HTTP API never runs without a token}"
: "${REDIS_URL:?REDIS_URL must be set}"
python -m bot.platform.settings # placeholder or short secrets: one line, and no start
endpoints=/tmp/endpoints.yml
python - "$endpoints" <<'PY'
import os
import sys

import yaml

with open("endpoints.yml", encoding="utf-8") as source:
    config = yaml.safe_load(source)
config["action_endpoint"] = {"url": os.environ.get("ACTION_ENDPOINT_URL", "http://actions:5055/webhook")}
with open(sys.argv[1], "w", encoding="utf-8") as target:
    yaml.safe_dump(config, target)
PY
exec rasa run --enable-api --auth-token "$RASA_TOKEN" --port 5005 \
  --credentials credentials.prod.yml --endpoints "$endpoints" \
  --model models/coop-sante.tar.gz --logging-config-file deploy/logging.yml
