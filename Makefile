# `make run`: the station on SQLite with demo data. `make test`: the whole suite.
PY := .venv/bin/python
export LOYALTY_HOME ?= $(CURDIR)/var

.PHONY: run test lint bench setup setup-test clean

setup:
	@scripts/bootstrap.sh run

setup-test:
	@scripts/bootstrap.sh test

run: setup
	@mkdir -p $(LOYALTY_HOME)
	@$(PY) -m station.cli demo --if-empty
	@$(PY) -m station.cli run

# Lint and the layer contracts first (seconds); the HQ tests need PostgreSQL: started here for the
# run (URL in LOYALTY_TEST_PG), stopped after.
test: setup-test lint
	@url="$$(scripts/postgres.sh start)" || echo "PostgreSQL did not start; HQ tests fail in CI, skip locally" >&2; \
	LOYALTY_TEST_PG="$$url" $(PY) -m pytest -q $(PYTEST_ARGS); status=$$?; scripts/postgres.sh stop; exit $$status

lint: setup-test
	@.venv/bin/ruff check --quiet .
	@out="$$(.venv/bin/lint-imports --no-logo --no-cache 2>&1)" || { echo "$$out"; exit 1; }

bench: setup-test
	@url="$$(scripts/postgres.sh start)"; LOYALTY_TEST_PG="$$url" $(PY) -m bench; status=$$?; \
	scripts/postgres.sh stop; exit $$status

clean:
	rm -rf .venv var .pytest_cache artefacts
