#!/usr/bin/env bash
# `make run`: every process declared in deploy/processes.toml (PostgreSQL and Redis unless DATABASE_URL,
# REDIS_URL are set, the local Twilio server unless TWILIO_ACCOUNT_SID is, the action server, the Rasa
# servers, nginx before several, the clinician console and its worker), started in order and kept
# running by supervisord (tools/supervise.py). Logs: .run/logs/, one per process. Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
exec .venv/bin/python -m tools.supervise "$@"
