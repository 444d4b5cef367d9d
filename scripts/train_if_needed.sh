#!/usr/bin/env bash
# Trains the model only when training data, domain, config or the custom components changed.
# The fingerprint of those inputs is stored next to the model (models/coop-sante.sha256).
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false

MODEL=models/coop-sante.tar.gz
FINGERPRINT=models/coop-sante.sha256
want=$(cat config.yml domain.yml $(find data components -type f \( -name '*.yml' -o -name '*.py' \) | sort) \
       requirements/constraints.txt | sha256sum | cut -d' ' -f1)
if [ -f "$MODEL" ] && [ -f "$FINGERPRINT" ] && [ "$(cat "$FINGERPRINT")" = "$want" ]; then
  echo "==> model up to date ($MODEL)"
  exit 0
fi
echo "==> training the model (about two minutes)"
start=$(date +%s)
.venv/bin/rasa train --fixed-model-name coop-sante --out models --quiet
echo "$want" > "$FINGERPRINT"
echo "==> trained in $(( $(date +%s) - start )) s"
