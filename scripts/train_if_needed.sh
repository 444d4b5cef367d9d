#!/usr/bin/env bash
# Trains what needs training, only when its inputs changed:
# - the Rasa model (dialogue-act NLU and the triage policy): training data, domain, config or components;
#   the fingerprint of those inputs is stored next to the model (models/coop-sante.sha256);
# - the triage classifier (safety/corpus/*.csv): cached under models/ by a hash of the corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}

.venv/bin/python -m tools.train_triage

MODEL=models/coop-sante.tar.gz
FINGERPRINT=models/coop-sante.sha256
want=$(cat config.yml domain.yml $(find data components -type f \( -name '*.yml' -o -name '*.py' \) | sort) \
       requirements/constraints.txt | sha256sum | cut -d' ' -f1)
if [ -f "$MODEL" ] && [ -f "$FINGERPRINT" ] && [ "$(cat "$FINGERPRINT")" = "$want" ]; then
  echo "==> model up to date ($MODEL)"
  exit 0
fi
echo "==> training the model"
start=$(date +%s)
.venv/bin/rasa train --fixed-model-name coop-sante --out models --quiet
echo "$want" > "$FINGERPRINT"
echo "==> trained in $(( $(date +%s) - start )) s"
