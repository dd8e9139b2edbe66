# Everything a fresh machine needs: `make run` and `make test`. Python 3.11 is the only prerequisite.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || echo python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export DJANGO_SETTINGS_MODULE := plum.settings

.PHONY: run test test-steps lint contracts migrations-check schema-check schema test-fast bench load worker clean-db browser redis-binary

$(STAMP): requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

.env:
	@echo "Writing .env with a fresh local SECRET_KEY (not committed)"
	@$(PY) -c "import secrets; import base64; print('SECRET_KEY=' + secrets.token_urlsafe(50)); print('PLUM_VOUCHER_KEY=' + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()); print('DEBUG=1'); print('PLUM_GRAPHIQL=1')" > .env

# Without DATABASE_URL the embedded PostgreSQL that a command starts is stopped when it ends (Ctrl-C too).
EMBEDDED := $(PY) -m plum.embedded_server

run: $(STAMP) .env
	$(EMBEDDED) run sh -c '$(PY) manage.py plum_dev_setup && exec $(PY) manage.py runserver 127.0.0.1:8000'

worker: $(STAMP)
	$(VENV)/bin/celery -A plum worker --beat --loglevel=info --concurrency=2

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

contracts: $(STAMP)
	$(VENV)/bin/lint-imports

migrations-check: $(STAMP)
	PLUM_ALLOW_EPHEMERAL_SECRET=1 $(PY) manage.py makemigrations --check --dry-run

# The committed openapi.yaml and schema.graphql must match the code.
schema-check: $(STAMP)
	PLUM_ALLOW_EPHEMERAL_SECRET=1 $(PY) manage.py plum_schema --check

schema: $(STAMP)
	PLUM_ALLOW_EPHEMERAL_SECRET=1 $(PY) manage.py plum_schema

test: $(STAMP) browser redis-binary
	$(EMBEDDED) run $(MAKE) --no-print-directory test-steps

test-steps: lint contracts migrations-check schema-check
	PLUM_ALLOW_EPHEMERAL_SECRET=1 $(VENV)/bin/pytest --create-db $(PYTEST_ARGS)

# Page tests drive Debian's headless Chromium; installed when missing (as root, or with sudo).
browser:
	@command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium and chromium-driver for the page tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver; }

# The database-restart test runs its own Redis next to its own PostgreSQL; installed when missing.
redis-binary:
	@command -v redis-server >/dev/null 2>&1 || { \
	  echo "Installing Debian's redis-server for the database-restart test"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq redis-server; }

clean-db: $(STAMP)
	$(EMBEDDED) remove

test-fast: $(STAMP)
	PLUM_ALLOW_EPHEMERAL_SECRET=1 $(VENV)/bin/pytest -m "not slow" $(PYTEST_ARGS)

bench: $(STAMP)
	PLUM_ALLOW_EPHEMERAL_SECRET=1 $(PY) -m benchmarks.run $(BENCH_ARGS)

# The load test to run before going live: 200 locust users for 60 s against gunicorn (and a Celery worker
# with REDIS_URL), two organisations; PASS or FAIL with the reasons. Options: LOAD_ARGS="--users 50 --seconds 20".
load: $(STAMP)
	PLUM_ALLOW_EPHEMERAL_SECRET=1 $(EMBEDDED) run $(PY) -m benchmarks.load $(LOAD_ARGS)

# Property-based tests of the OpenAPI schema against a live server, two tenants (database plum_schemathesis).
.PHONY: schemathesis
schemathesis: $(STAMP)
	scripts/schemathesis.sh
