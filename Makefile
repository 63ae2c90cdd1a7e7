# Ninety — the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Tests and benchmarks use the local PostgreSQL unless told otherwise.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/ninety
SYSTEM_PACKAGES := chromium libharfbuzz-subset0 fonts-noto-core fonts-noto-cjk \
	fonts-noto-color-emoji poppler-utils docker-compose redis-server postgresql-client gettext

.PHONY: run install install-test system-deps test lint format migrations-check messages bench compose-check load drill clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## run: the embedded default (SQLite, eager Celery, mail to files) on http://127.0.0.1:8000
run: install
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py load_playbooks
	DEBUG=1 $(BIN)/python manage.py load_obligations
	DEBUG=1 $(BIN)/python manage.py load_demo
	DEBUG=1 $(BIN)/python manage.py load_demo_governance
	@echo "Ninety is starting on http://127.0.0.1:8000 — log in with a demo user above."
	DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:8000

## system-deps: Debian packages for PDFs (Pango, fonts), browser tests, compose checks,
## the translation catalogues (gettext: makemessages, msgfmt),
## the fault tests (a Redis of their own) and the restore drill (pg_dump)
system-deps:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing system packages:" $$missing; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

## test: lint, migration and compose checks, and the whole suite (PostgreSQL when reachable)
test: install-test system-deps
	$(BIN)/ruff check .
	DEBUG=0 $(BIN)/python manage.py makemigrations --check --dry-run
	$(MAKE) --no-print-directory compose-check
	@mkdir -p var
	url=$$($(BIN)/python tests/database_url.py "$${DATABASE_URL:-$(TEST_DATABASE_URL)}") && \
	DATABASE_URL=$$url $(BIN)/pytest $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: install
	$(BIN)/python manage.py makemigrations --check --dry-run

## messages: the Dutch and German catalogues brought up to date with the code, and compiled
## (then translate what is new in locale/*/LC_MESSAGES/django.po and run it again)
messages: install
	$(BIN)/python manage.py makemessages -l nl -l de --no-obsolete \
		--ignore 'tests/*' --ignore 'staticfiles/*' --ignore 'var/*' --ignore 'node_modules/*'
	$(BIN)/python manage.py compilemessages -l nl -l de --ignore '.venv/*'

## bench: figures of ../shared/BENCHMARKS.md on PostgreSQL; ONLY=name[,name] for a subset
bench: install-test
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(BIN)/python -m tests.perf.bench $(if $(ONLY),--only $(ONLY))

## compose-check: docker-compose.yml validates (legacy v1, the common subset of keys)
compose-check:
	@# Compose needs the env_file to exist; borrow the example when there is no .env.
	@if [ -f .env ]; then docker-compose config --quiet; \
	else cp .env.example .env && trap 'rm -f .env' EXIT && docker-compose config --quiet; fi
	@echo "docker-compose.yml is valid"

## load: gunicorn on loopback, real logins, mixed workload (USERS=50 DURATION=300 by default)
USERS ?= 50
DURATION ?= 300
load: install-test
	$(BIN)/pip install --quiet -e '.[load]'
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(BIN)/python -m tests.load.run --users $(USERS) --duration $(DURATION)

## drill: backup and restore drill on PostgreSQL (pg_dump, restore, counts, audit chain, PDFs)
drill: install-test
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(BIN)/python -m tests.drill

clean:
	rm -rf $(VENV) var db.sqlite3 staticfiles
