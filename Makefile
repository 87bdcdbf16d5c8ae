# `make run`: the station on SQLite with demo data. `make test`: the whole suite.
PY := .venv/bin/python
export LOYALTY_HOME ?= $(CURDIR)/var

.PHONY: run test bench setup setup-test clean

setup:
	@scripts/bootstrap.sh run

setup-test:
	@scripts/bootstrap.sh test

run: setup
	@mkdir -p $(LOYALTY_HOME)
	@$(PY) -m loyalty.cli demo --if-empty
	@$(PY) -m loyalty.cli run

test: setup-test
	@$(PY) -m pytest -q $(PYTEST_ARGS)

bench: setup-test
	@$(PY) -m bench

clean:
	rm -rf .venv var .pytest_cache artefacts
