# pacnum-bridge - the two commands: `make run` (start the service) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install run test lint format typecheck pytest migrate i18n demo bench clean serve-prod

## install: virtualenv with pinned packages, the DSFR, compiled translations, Chromium for browser tests
install: $(VENV)/.installed node_modules/.installed i18n-compile

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $@

i18n-compile: $(VENV)/.installed
	@$(PY) scripts/i18n.py compile >/dev/null

## run: start the service on http://127.0.0.1:5000 (development: SQLite, demo data)
run: install
	BRIDGE_ENV=$${BRIDGE_ENV:-development} $(FLASK) bridge setup --demo
	BRIDGE_ENV=$${BRIDGE_ENV:-development} $(FLASK) run --host 127.0.0.1 --port 5000

## test: lint, types and the whole test suite (SQLite; PostgreSQL too when BRIDGE_TEST_DATABASE_URL is set)
test: install lint typecheck pytest

lint:
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) scripts/i18n.py missing

format:
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

typecheck:
	$(PY) -m mypy config lti sync
	$(PY) -m mypy bridge wsgi.py

pytest:
	@bash scripts/ensure-chromium.sh
	$(PY) -m pytest $(PYTEST_ARGS)

migrate: install
	$(FLASK) db upgrade

i18n: $(VENV)/.installed
	$(PY) scripts/i18n.py update

## serve-prod: gunicorn as in production (set BRIDGE_ENV=production and the keys first)
serve-prod: install
	$(VENV)/bin/gunicorn -c gunicorn.conf.py wsgi:app

bench: install
	$(PY) -m bench

clean:
	rm -rf $(VENV) node_modules .mypy_cache .ruff_cache .pytest_cache
