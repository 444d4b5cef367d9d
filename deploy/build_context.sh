#!/usr/bin/env bash
# Stages the build context of deploy/Dockerfile into DIR: what the images hold and nothing else
# (no .git, .venv, .run, results, web/node_modules, no deploy/.env). Symbolic links are followed, so
# that a checkout whose models/ is a link (a git worktree) gives real files. The model and the web
# chat widget must exist: `make train web` makes them.
#
#   deploy/build_context.sh DIR
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:?usage: deploy/build_context.sh DIR}
for needed in models/coop-sante.tar.gz web/dist/widget.js; do
  [ -f "$needed" ] || { echo "$needed is missing: run make train web first" >&2; exit 1; }
done
mkdir -p "$dir"
rm -rf "${dir:?}"/*
tar -ch --exclude='__pycache__' --exclude='*.pyc' --exclude='web/node_modules' --exclude='deploy/.env' \
  --exclude='models/*.tmp' \
  requirements alembic.ini domain.yml config.yml endpoints.yml credentials.prod.yml migrations safety data \
  content web/dist web/demo deploy bot components channels actions console ops tools \
  models/coop-sante.tar.gz $(ls models/triage-classifier-*.pkl) \
  | tar -C "$dir" -x
