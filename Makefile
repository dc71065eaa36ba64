# Two commands for people: `make run` and `make test`. Everything else is a step they call;
# `make` alone lists them all (`make help`).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# pip-tools only: see `lock`
LOCK_VENV := .venv-lock
export FLASK_APP := cpspartners
PG_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: help run prod test install translations secret db chromium axe postgres lint fmt lock clean messages
.DEFAULT_GOAL := help

help:  ## this list
	@awk 'BEGIN {FS = ":[^#]*## "} /^[a-z][a-z-]*:[^=]*## / {printf "  make %-13s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

run: install db  ## install, migrate, seed real schools, the demo directory and demo accounts, serve on :5000
	@# Plain HTTP on this machine only, so the cookies cannot be Secure-only here (they are in production).
	@# No mail server here: mail goes to the log and to a local outbox page (debug only, refused elsewhere).
	@echo "Mail in development: http://127.0.0.1:5000/dev/outbox (and in this log)"
	CPSPARTNERS_SESSION_COOKIE_SECURE=false CPSPARTNERS_REMEMBER_COOKIE_SECURE=false \
	  CPSPARTNERS_DEBUG=true CPSPARTNERS_DEV_OUTBOX=true \
	  $(BIN)/flask run --host 127.0.0.1 --port 5000

# `make prod`: the Procfile (web, index follower, RQ worker, scheduler) under honcho, with the
# production settings against this machine's PostgreSQL and Redis (docs/deploy.md, "Running the
# production set-up on one machine"). Its own database, Redis numbers and index folder, so it
# never touches what `make run` or the tests use.
PROD_PORT ?= 8000
PROD_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/cpspartners_prod
PROD_RQ_REDIS_URL ?= redis://127.0.0.1:6379/0
PROD_LIMITS_REDIS_URL ?= redis://127.0.0.1:6379/1
PROD_ENV = PATH="$(abspath $(BIN)):$$PATH" \
  CPSPARTNERS_SQLALCHEMY_DATABASE_URI=$(PROD_DATABASE_URL) \
  CPSPARTNERS_RQ_REDIS_URL=$(PROD_RQ_REDIS_URL) \
  CPSPARTNERS_RATELIMIT_STORAGE_URI=$(PROD_LIMITS_REDIS_URL) \
  CPSPARTNERS_RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=true \
  CPSPARTNERS_SEARCH_WRITER=follower \
  CPSPARTNERS_SEARCH_INDEX_DIR=$(CURDIR)/instance/prod/search-index \
  CPSPARTNERS_IMPORT_UPLOAD_DIR=$(CURDIR)/instance/prod/imports \
  CPSPARTNERS_SITE_URL=http://127.0.0.1:$(PROD_PORT)
PROD_ADMIN_URL = $(dir $(PROD_DATABASE_URL))postgres
PROD_DB = $(notdir $(PROD_DATABASE_URL))

prod: install postgres  ## production settings here: gunicorn (:8000), index follower, RQ worker, scheduler
	@psql -q "$(PROD_ADMIN_URL)" -tAc "SELECT 1 FROM pg_database WHERE datname = '$(PROD_DB)'" | grep -q 1 || \
	  { echo "creating database $(PROD_DB)"; psql -q "$(PROD_ADMIN_URL)" -c 'CREATE DATABASE "$(PROD_DB)"'; }
	$(PROD_ENV) $(BIN)/flask db upgrade
	@# Seeded like `make db` the first time only (the demo accounts have public passwords: this
	@# database is for trying the set-up, never a real one).
	@if [ "$$(psql -q "$(PROD_DATABASE_URL)" -tAc 'SELECT count(*) FROM partner')" = 0 ]; then \
	  set -e; for what in schools places programmes demo; do $(PROD_ENV) $(BIN)/flask seed $$what; done; \
	  $(PROD_ENV) CPSPARTNERS_DEMO_USERS=true $(BIN)/flask seed users; fi
	@echo "The site: http://127.0.0.1:$(PROD_PORT) (Ctrl-C stops every process)"
	$(PROD_ENV) $(BIN)/honcho start -p $(PROD_PORT)

install: $(VENV)/.installed translations secret  ## the virtualenv with the exact versions in requirements.lock

# The exact tested set first, then the project itself without letting pip resolve anything more;
# `pip check` then fails when setup.cfg asks for something the lock does not have (run `make lock`).
$(VENV)/.installed: requirements.lock setup.cfg pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/pip check
	touch $@

# pip-tools lives in a venv of its own, not in .venv or an extra: the lock then pins only what the
# app, its tests and its linters use (not pip-tools, build, wheel...), and what happens to be in
# .venv cannot steer the resolution. pip-compile keeps each pin that setup.cfg still allows;
# `make lock UPGRADE=1` takes the newest releases setup.cfg allows. Lock with the oldest Python
# setup.cfg supports (3.11), so no pin needs a newer one.
lock:  ## re-resolve requirements.lock from setup.cfg (after changing a pin there)
	test -x $(LOCK_VENV)/bin/pip-compile || { $(PYTHON) -m venv $(LOCK_VENV) && \
	  $(LOCK_VENV)/bin/pip install --quiet 'pip-tools~=7.6.2'; }
	$(LOCK_VENV)/bin/pip-compile --quiet $(if $(UPGRADE),--upgrade) --extra test --extra dev --strip-extras \
	  --no-emit-index-url --no-emit-find-links -o requirements.lock setup.cfg

# What mypy checks is its `files` list in pyproject.toml, in one place for make, CI and pre-commit.
lint: $(VENV)/.installed  ## ruff check, ruff format --check and mypy, as CI runs them before the tests
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

fmt: $(VENV)/.installed  ## ruff's safe fixes (import order, pyupgrade...) then ruff format
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

translations: $(VENV)/.installed  ## compile the Spanish catalogue
	$(BIN)/pybabel -q compile -d translations

secret:  ## a random secret key for this machine's instance folder, made once
	@mkdir -p instance
	@test -f instance/config.py || $(PYTHON) -c "import secrets; print('SECRET_KEY = %r' % secrets.token_hex(32))" > instance/config.py

db: install  ## migrate, then seed real schools, places, family programmes, the demo directory and demo accounts
	$(BIN)/flask db upgrade
	$(BIN)/flask seed schools
	$(BIN)/flask seed places
	$(BIN)/flask seed programmes
	$(BIN)/flask seed demo
	CPSPARTNERS_DEMO_USERS=true $(BIN)/flask seed users

chromium:  ## Debian's Chromium for the browser tests (installed with apt when root and missing)
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null) \
	      || echo "Could not install chromium with apt"; \
	  else echo "chromium is missing and cannot be installed here: browser tests will skip (outside CI)"; fi; \
	fi

axe: node_modules/axe-core/axe.min.js  ## axe-core from npm for the accessibility tests

node_modules/axe-core/axe.min.js: package.json
	@if command -v npm >/dev/null 2>&1; then npm install --no-audit --no-fund --no-package-lock --silent; \
	else echo "npm is missing: accessibility tests will skip (outside CI)"; fi

postgres:  ## start the local PostgreSQL server if it is down
	@if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start || true; \
	  for i in 1 2 3 4 5 6 7 8 9 10; do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; \
	fi

# With CPSPARTNERS_TEST_DATABASE_URL (CI), the PostgreSQL run goes on beside the SQLite one
# instead of after it: much of its time is the database server's, so the two together take
# little longer than the longer one (CI went from 48 minutes to about 30). The SQLite run prints
# as it goes; the PostgreSQL run's output is kept in .test-logs and printed when both are done.
test: install chromium axe  ## the whole suite on SQLite, and on PostgreSQL beside it when CPSPARTNERS_TEST_DATABASE_URL is set
	@set -u; pg=0; rm -rf .test-logs; \
	if [ -n "$${CPSPARTNERS_TEST_DATABASE_URL:-}" ]; then \
	  $(MAKE) --no-print-directory postgres; mkdir -p .test-logs; \
	  echo "PostgreSQL suite started beside this one (output: .test-logs/postgresql.log)"; \
	  ( $(BIN)/pytest -m "not browser" -p no:cacheprovider > .test-logs/postgresql.log 2>&1; \
	    echo $$? > .test-logs/postgresql.rc ) & pg=$$!; \
	fi; \
	env -u CPSPARTNERS_TEST_DATABASE_URL $(BIN)/pytest -m "not postgres"; sqlite=$$?; \
	if [ "$$pg" != 0 ]; then \
	  wait $$pg; echo; echo "===== PostgreSQL suite ====="; cat .test-logs/postgresql.log; \
	  pgrc=$$(cat .test-logs/postgresql.rc 2>/dev/null || echo 1); \
	  echo "SQLite suite exit $$sqlite, PostgreSQL suite exit $$pgrc"; \
	  [ "$$sqlite" = 0 ] && [ "$$pgrc" = 0 ]; \
	else exit $$sqlite; fi

clean:  ## remove the virtualenvs, node_modules, the instance folder and tool caches
	rm -rf $(VENV) $(LOCK_VENV) node_modules instance .pytest_cache .mypy_cache .ruff_cache .test-logs

messages: $(VENV)/.installed  ## re-extract strings and merge them into the Spanish catalogue
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 --no-location -o translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching -i translations/messages.pot -d translations
