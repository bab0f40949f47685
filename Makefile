# Vetted: `make run` serves the demo on SQLite; `make test` runs the suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_PASSWORD ?= vetted-demo-2026
RUN_ADDR ?= 127.0.0.1:8000
export DEMO_PASSWORD

.PHONY: run test lint typecheck check serve loadtest backup-check bench bench-import clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

run: $(BIN)/.installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo "Open http://$(RUN_ADDR)/ and log in as author, reviewer, reviewer2, publisher or compliance (password: $(DEMO_PASSWORD))."
	@echo "The task worker (large imports, notifications, webhooks) runs beside the server; Ctrl-C stops both."
# The worker is stopped however the server ends: Ctrl-C, a kill, or a port already in use.
	$(BIN)/python manage.py db_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT; trap 'exit 130' INT TERM; \
	$(BIN)/python manage.py runserver $(RUN_ADDR)

test: $(BIN)/.installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/.installed
	$(BIN)/mypy .
	$(BIN)/lint-imports --no-cache

check: lint typecheck
	$(BIN)/python manage.py makemigrations --check --dry-run

# Production settings, locally, on PostgreSQL behind gunicorn. Needs SECRET_KEY,
# ALLOWED_HOSTS and DATABASE_URL=postgres://...; SECURE_SSL_REDIRECT=0 to use plain
# http://127.0.0.1:8000 without a TLS proxy (README "Deploy"). With OWNER_DATABASE_URL
# (the tables' owner) and APP_DB_ROLE (the role DATABASE_URL logs in as), migrate runs as
# the owner, grant_app_role gives the app role row rights only, and gunicorn runs as it.
serve: export DJANGO_ENV = production
serve: $(BIN)/.installed
	$(BIN)/python manage.py collectstatic --noinput
	DATABASE_URL="$${OWNER_DATABASE_URL:-$$DATABASE_URL}" $(BIN)/python manage.py migrate --noinput
	DATABASE_URL="$${OWNER_DATABASE_URL:-$$DATABASE_URL}" $(BIN)/python manage.py createcachetable
	if [ -n "$$APP_DB_ROLE" ]; then \
	  DATABASE_URL="$${OWNER_DATABASE_URL:-$$DATABASE_URL}" $(BIN)/python manage.py grant_app_role "$$APP_DB_ROLE"; fi
	$(BIN)/gunicorn -c gunicorn.conf.py config.wsgi

# 50 clients for 60 s against gunicorn (2 workers) on PostgreSQL, loopback only
# (README "Load test"). LOADTEST_DATABASE_URL names a scratch database it may wipe.
loadtest: $(BIN)/.installed
	$(BIN)/python deploy/loadtest.py

# pg_dump DATABASE_URL, restore into an empty database, reconcile and verify the copy.
backup-check: $(BIN)/.installed
	bash deploy/backup_restore.sh

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm var/audit-anchor.json var/audit-anchor.json.lock staticfiles test-results

# Build BENCH_ARTICLES x BENCH_CLAIMS x BENCH_VERSIONS (default 1000 x 100 x 5) of load data on SQLite and,
# with DATABASE_URL (a scratch database: it is flushed), on PostgreSQL; serve each with gunicorn on loopback
# and time the pages, the audit export, library matching and an import (README "Benchmark").
bench: $(BIN)/.installed
	$(BIN)/python -m bench

# Only the 2 MB import (time, claims/s, peak memory), on a scratch SQLite file: bench/import-results.json.
bench-import: $(BIN)/.installed
	$(BIN)/python -m bench import
