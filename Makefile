# `make run` and `make test` do all the set-up themselves on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Basic auth of the email providers' webhooks under `make run` (in production: ANYMAIL_WEBHOOK_SECRET).
DEMO_WEBHOOK_SECRET ?= newsroom:demo-webhook-secret
, := ,
# Development mode for `make run`: DEBUG on, SQLite, no services, whatever the shell exports.
DEV_ENV := env -u DATABASE_URL -u REDIS_URL -u EMAIL_URL -u MEDIA_ROOT -u SECRET_KEY -u ALLOWED_HOSTS DEBUG=1

.PHONY: run stack test lint format migrate seed check-deploy clean bench bench-quick

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed

migrate: $(VENV)/.installed
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput

seed: migrate
	$(DEV_ENV) $(BIN)/python manage.py seed_demo

run: seed
	@echo ""
	@echo "  Site:        http://$(HOST):$(PORT)/"
	@echo "  Back office: http://$(HOST):$(PORT)/admin/"
	@echo "  Logins:      admin / editor / journalist / reporter / audience, password: newsroom-demo"
	@echo "  Two-factor:  $(if $(filter 1 true yes on,$(STAFF_2FA_REQUIRED)),required of admin$(,) editor and audience (STAFF_2FA_REQUIRED=$(STAFF_2FA_REQUIRED)),optional here; STAFF_2FA_REQUIRED=1 make run requires it of admin$(,) editor and audience)"
	@echo "  Email:       every email (confirmations, the newsletter) is printed here, in this terminal"
	@echo "  Webhooks:    the email providers' at /anymail/<provider>/tracking/, user:password $(DEMO_WEBHOOK_SECRET)"
	@echo "  Worker and scheduler run beside the site; Ctrl-C stops all three."
	@echo ""
	$(DEV_ENV) PATH="$(CURDIR)/$(BIN):$$PATH" NEWSROOM_ADDRESS=$(HOST):$(PORT) SITE_URL=http://$(HOST):$(PORT) \
		ANYMAIL_WEBHOOK_SECRET="$(DEMO_WEBHOOK_SECRET)" $(BIN)/honcho start -f deploy/Procfile.dev -d .

# The production layout on this machine (deploy/stack.py): DEBUG off, two gunicorn instances, two workers and the
# scheduler on PostgreSQL and Redis, media on an S3-compatible server, Varnish in front. Ctrl-C stops it all.
stack: $(VENV)/.installed-dev
	$(BIN)/python deploy/stack.py

# The page checkers (axe-core, the Nu HTML Checker) come from npm; without npm their tests are skipped.
node_modules/.package-lock.json: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the accessibility and HTML checks will be skipped"; fi

test: $(VENV)/.installed-dev node_modules/.package-lock.json
	$(BIN)/pytest

# Benchmarks on PostgreSQL (DATABASE_URL names the server; they make a database of their own there).
# The fuzz test of every public URL and form runs long here (a few hundred examples in `make test`).
# BENCH_ARGS="--database NAME" keeps a run's database apart from another's on the same server.
bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench.run $(BENCH_ARGS)
	FUZZ_EXAMPLES=5000 $(BIN)/pytest -q tests/test_fuzz.py tests/test_fuzz_admin.py

bench-quick: $(VENV)/.installed-dev
	$(BIN)/python -m bench.run --quick $(BENCH_ARGS)
	FUZZ_EXAMPLES=500 $(BIN)/pytest -q tests/test_fuzz.py tests/test_fuzz_admin.py

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) node_modules bench/.lighthouse db.sqlite3 media staticfiles var .pytest_cache .ruff_cache
