# spotify_etl — every entry point a person or CI needs.
# `make demo` and `make test` are the README's quick start; both set everything up first.

SHELL := /bin/bash
PYTHON_VERSION ?= 3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
export AIRFLOW_HOME ?= $(CURDIR)/.airflow
export AIRFLOW__CORE__DAGS_FOLDER ?= $(CURDIR)/dags
export AIRFLOW__CORE__PLUGINS_FOLDER ?= $(CURDIR)/plugins
export AIRFLOW__CORE__LOAD_EXAMPLES ?= False
export AIRFLOW__CORE__UNIT_TEST_MODE ?= False

.PHONY: help setup demo test scaleout layers bench bench-history bench-scaleout lock sandbox auth api predict-api airflow clean

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(UV):
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet --user uv

# The stamp depends on the pins: nothing is reinstalled unless requirements.txt changed.
$(STAMP): requirements.txt | $(UV)
	@test -x $(PY) || $(UV) venv --quiet --python $(PYTHON_VERSION) $(VENV)
	VIRTUAL_ENV=$(CURDIR)/$(VENV) $(UV) pip install --quiet --compile-bytecode -r requirements.txt
	@# plugins/ and include/ importable as Airflow itself makes them (spotify_etl, spotify_sandbox)
	@printf '%s\n%s\n' "$(CURDIR)/plugins" "$(CURDIR)/include" > $$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/spotify_etl_paths.pth
	@touch $(STAMP)

setup: $(STAMP) ## Create .venv with uv (idempotent; fast when nothing changed)

demo: setup ## Run the pipeline offline: sandbox, 5 users, 7 simulated days, summary
	$(PY) -m spotify_etl demo

test: setup layers ## Check the import layers, then run the test suite (the scale-out tests: make scaleout)
	$(PY) -m pytest

scaleout: setup ## The scale-out tests: Airflow on PostgreSQL, 2 Celery workers over Redis (~12 min)
	$(PY) -m pytest -m scaleout

layers: setup ## Check that imports run one way (import-linter contracts in pyproject.toml)
	$(VENV)/bin/lint-imports --no-logo

bench: setup ## Print performance figures as JSON
	$(PY) -m spotify_etl bench

bench-history: setup ## Every play kept: capture vs the sandbox's ground truth, import speed (JSON; QUICK=1: short)
	$(PY) -m spotify_etl bench --history $(if $(QUICK),--quick)

bench-scaleout: setup ## People per minute with 1 and 2 Celery workers, scheduler delay (JSON)
	$(PY) -m spotify_etl bench --scaleout

auth: setup ## Start the Spotify authorization helper on http://127.0.0.1:8888 (reads .env)
	@set -a; [ ! -f .env ] || . ./.env; set +a; $(PY) -m auth_server $(AUTH_ARGS)

# The web helper serves the dashboard too (docs/dashboard.md).
.PHONY: dashboard
dashboard: setup ## The dashboard on http://127.0.0.1:8888/dashboard/ (the web helper; sandbox sign-in unless .env sets SPOTIFY_CLIENT_ID)
	@set -a; [ ! -f .env ] || . ./.env; set +a; \
	if [ -n "$$SPOTIFY_CLIENT_ID" ]; then $(PY) -m auth_server $(AUTH_ARGS); \
	else $(PY) -m auth_server --sandbox development $(AUTH_ARGS); fi

sandbox: setup ## Start the Spotify sandbox on 127.0.0.1:8900
	$(PY) -m spotify_sandbox --port 8900 --mode development

api: setup ## Start the HTTP API (GET /bins, /artists, /similar, /prediction) on http://127.0.0.1:8000 (reads .env)
	@set -a; [ ! -f .env ] || . ./.env; set +a; $(PY) -m api_server $(API_ARGS)

predict-api: setup ## The same API, for its prediction endpoints (GET /prediction?song=&artist=, /features, /health; docs at /docs)
	@set -a; [ ! -f .env ] || . ./.env; set +a; $(PY) -m api_server $(API_ARGS)

airflow: setup ## Airflow UI on http://127.0.0.1:8080 without Docker (sandbox unless .env has Spotify; AIRFLOW_ARGS="--postgres URL")
	@set -a; [ ! -f .env ] || . ./.env; set +a; $(PY) -m spotify_etl airflow $(AIRFLOW_ARGS)

lock: ## Re-resolve requirements.txt from requirements.in
	$(UV) pip compile --quiet requirements.in -o requirements.txt --python-version $(PYTHON_VERSION)

clean: ## Remove the venv, Airflow home and data directory
	rm -rf $(VENV) .airflow data
