# CitizenVoice — the two commands a new user needs are `make run` and `make test`.
PY        ?= python3
VENV      := .venv
BIN       := $(VENV)/bin
FLASK     := $(BIN)/flask --app citizenvoice
PG_URL    ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test test-slow serve bench install install-test lint typecheck security lock pytest-sqlite pytest-postgresql system-deps clean

$(BIN)/activate: pyproject.toml requirements.lock
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]' -c requirements.lock
	touch $(BIN)/activate

install: $(BIN)/activate

## make run: install, migrate the embedded SQLite database, load the demo city when empty, serve.
run: install
	$(FLASK) db upgrade
	$(FLASK) demo --if-empty
	@echo ""
	@echo "CitizenVoice is at http://127.0.0.1:5000 — staff log in at http://127.0.0.1:5000/login"
	@echo "Demo staff accounts: admin, manager, official, official-east, evaluator, expert, inspector"
	@echo "Password for every demo account: citizenvoice-demo"
	@echo ""
	$(FLASK) run --host 127.0.0.1 --port 5000

## make serve: production-style, several gunicorn workers sharing Redis for rate limits.
serve: install
	CITIZENVOICE_WORKERS=4 CITIZENVOICE_RATELIMIT_STORAGE_URI=$${CITIZENVOICE_RATELIMIT_STORAGE_URI:-redis://127.0.0.1:6379/0} \
	  $(BIN)/gunicorn --workers 4 --bind 127.0.0.1:8000 wsgi:app

system-deps:
	@bash scripts/ensure-system-deps

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

## make security: bandit (0 medium/high beyond the accepted ones) and pip-audit on requirements.lock.
security: install
	$(BIN)/python scripts/lock_requirements.py --check
	$(BIN)/python scripts/security.py bandit
	$(BIN)/python scripts/security.py audit

## make lock: pin what the venv resolved into requirements.lock after a dependency changed.
lock:
	$(BIN)/python scripts/lock_requirements.py

pytest-sqlite: install system-deps
	TEST_DB=sqlite $(BIN)/pytest -q --ignore=tests/load

pytest-postgresql: install system-deps
	@if [ "$$CI" = "true" ] || $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(subst +psycopg,,$(PG_URL))', connect_timeout=2)" 2>/dev/null; then \
	  TEST_DB=postgresql $(BIN)/pytest -q --ignore=tests/load; \
	else echo "PostgreSQL is not reachable at $(PG_URL): skipping the PostgreSQL run (CI requires it)."; fi

## make test: lint, types, then the whole suite on SQLite and on PostgreSQL.
test: lint typecheck security pytest-sqlite pytest-postgresql

## make test-slow: the load and fault tier (gunicorn, PostgreSQL, Redis on 127.0.0.1); CI runs it too.
test-slow: install system-deps
	$(BIN)/pytest -q tests/load

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) instance/*.sqlite* tests/artifacts
