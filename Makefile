# Nongan: the two commands are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint setup clean-db

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

## make run: install, migrate, load the demo district once, serve on http://127.0.0.1:8000
run: $(STAMP)
	$(BIN)/nongan migrate --noinput
	$(BIN)/nongan demo --once
	@$(BIN)/nongan db_worker --no-reload --no-startup-delay -v0 & WORKER=$$!; \
	  trap 'kill $$WORKER 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/nongan runserver --noreload 127.0.0.1:8000

## make test: the whole test suite (SQLite by default; set DATABASE_URL for PostgreSQL), one worker per core
## (pytest-xdist; each worker has its own test database); TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= auto
test: $(STAMP)
	$(BIN)/pytest -q -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
