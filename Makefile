# Coop Santé Triage: the project's front door. `make help` lists the targets.
SHELL := /bin/bash
VENV := .venv
PY := PYTHONPATH=$(CURDIR) $(VENV)/bin/python
RASA := RASA_TELEMETRY_ENABLED=false PYTHONPATH=$(CURDIR) $(VENV)/bin/rasa
DEFAULT_DATA := ../shared/samples/triage_sample.csv
DATA ?= $(DEFAULT_DATA)
OUT ?= results/triage_eval.csv

.PHONY: help setup setup-test web train run test test-fast test-integration test-e2e test-browser test-scale test-deploy lint typecheck validate triage-eval triage-crossval triage-conversations answers-eval bench bench-triage bench-voice sms-report import-schedule import-members audit-deps purge import-redis shell clean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

setup: ## install system and Python packages (once; a stamp skips it after)
	@bash scripts/bootstrap.sh

web: setup ## build the web chat widget (web/dist/widget.js) with npm
	@bash scripts/build_web.sh

train: setup ## train the model if data, domain or config changed
	@bash scripts/train_if_needed.sh

run: train web ## start Redis, the action server and Rasa (REST, SMS, web chat on :5005); Ctrl-C stops all
	@bash scripts/run.sh

setup-test: ## setup, plus the Chromium the browser tests drive
	@WITH_BROWSER=1 bash scripts/bootstrap.sh

test: setup-test ## everything CI runs: ruff, import rules, mypy, rasa data validate, pytest (every tier but scale, on two workers)
	@$(MAKE) --no-print-directory web lint typecheck
	@$(MAKE) --no-print-directory train
	@$(MAKE) --no-print-directory validate
	$(PY) -m pytest -n 2 --dist loadgroup

test-fast: setup ## the unit tier: pure Python, no Redis, browser or model (seconds)
	$(PY) -m pytest tests/unit

test-integration: setup ## the integration tier: real Redis and PostgreSQL, local servers, Rasa's graph, the classifier
	$(PY) -m pytest tests/integration

test-e2e: train web ## the end-to-end tier: make run's stack on spare ports (SMS, voice, web chat, console)
	$(PY) -m pytest tests/e2e

test-browser: setup-test train web ## the browser tier: the web chat, console and dashboard in Chromium
	$(PY) -m pytest tests/browser

lint: setup ## ruff, and the import rules (pyproject.toml: no cycles, bot free of Rasa and of the adapters)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

typecheck: setup ## mypy
	$(VENV)/bin/mypy

test-scale: setup-test train web ## two Rasa processes behind nginx: load, kill -9, Redis restart, bad input (minutes)
	$(PY) -m pytest -m scale tests/scale

test-deploy: train web ## build the images with podman, start deploy/docker-compose.yml, smoke-test it through nginx, restart each container, tear down (root; minutes; log in .run/deploy/)
	@bash deploy/test_deploy.sh

validate: setup ## rasa data validate
	$(RASA) data validate

triage-eval: train ## score triage on DATA (message,expected; or .jsonl conversations) into OUT
	$(PY) -m tools.triage_eval --data $(DATA) --out $(OUT)

triage-crossval: setup ## triage on each corpus writer with a classifier trained on the others (minutes)
	$(PY) -m tools.triage_crossval

triage-conversations: train ## multi-turn triage over REST on a running stack: make triage-conversations DATA=x.jsonl
	$(PY) -m tools.triage_conversations --data $(DATA) $(ARGS)

answers-eval: train web ## right answer per member question over REST (starts the stack): make answers-eval DATA=q.csv
	@test -n "$(DATA)" -a "$(DATA)" != "$(DEFAULT_DATA)" || { echo "usage: make answers-eval DATA=questions.csv (question,topic[,lang])"; exit 2; }
	$(PY) -m tools.answers_eval --data $(DATA) $(ARGS)

bench: train web ## throughput and latency of the stack (REST, SMS) and of a stock rasa init: docs/bench.md, .png
	$(PY) -m tools.bench

bench-triage: train ## median and p95 time to triage one message
	$(PY) -m tools.bench_triage

bench-voice: setup-test train web ## median time from a call's first words to the 911 instruction (20 calls)
	$(PY) -m pytest -m bench -s tests/e2e/test_voice_end_to_end.py

sms-report: train ## SMS encoding and segments of every answer, and of real bot turns over SMS
	$(PY) -m tools.sms_report

import-schedule: setup ## import availability (CSV, or .ics with ARGS="--clinicien ... --type ... --coop ..."): make import-schedule FILE=dispo.csv
	@test -n "$(FILE)" || { echo "usage: make import-schedule FILE=dispo.csv"; exit 2; }
	$(PY) -m ops.import_schedule "$(FILE)" $(ARGS)

import-members: setup ## import a coop's member CSV into the registry (PostgreSQL): make import-members FILE=export.csv
	@test -n "$(FILE)" || { echo "usage: make import-members FILE=export.csv"; exit 2; }
	$(PY) -m ops.import_members "$(FILE)"

audit-deps: ## known vulnerabilities of the lock (requirements/constraints.txt), with pip-audit (needs the network; not in make test)
	@test -x .run/audit/bin/pip-audit || { python3 -m venv .run/audit && .run/audit/bin/pip install -q -r requirements/audit.txt; }
	.run/audit/bin/pip-audit --strict --no-deps --disable-pip --progress-spinner off \
	  --vulnerability-service $(or $(SERVICE),pypi) -r requirements/constraints.txt
purge: setup ## remove the records past their retention (audit, consent) from PostgreSQL; run daily
	$(PY) -m ops.purge_records

import-redis: setup ## copy the records today's Redis holds (members, consent, audit...) into PostgreSQL; twice adds nothing
	$(PY) -m ops.import_redis_records

shell: train ## talk to the bot in the terminal (needs `make run`'s Redis and actions, or its own)
	$(RASA) shell --model models/coop-sante.tar.gz -p 5006

clean: ## remove the model, results and local data (keeps .venv)
	rm -rf models results .run .pytest_cache .mypy_cache .ruff_cache
