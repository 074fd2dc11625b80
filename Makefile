# The two commands (see README.md): `make run` and `make test`.
# Both create .venv on first use and install the project with its dev extras;
# the install is repeated only when pyproject.toml changes.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ARGS ?=

.PHONY: run test bench install clean

## run: migrate, demo data, serve on http://127.0.0.1:8000 (embedded PostgreSQL unless DATABASE_URL is set)
run: $(STAMP)
	$(PY) -m config.dev.localdev run

## test: the whole test suite (extra pytest arguments: make test ARGS="-k ledger")
test: $(STAMP)
	$(PY) -m config.dev.localdev test $(ARGS)

## bench: the benchmarks (bench/run.py); results go to bench/RESULTS.md
bench: $(STAMP)
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq wrk >/dev/null; } \
		|| echo "wrk is not installed: the status API figure will be skipped"
	$(PY) -m config.dev.localdev bench $(ARGS)

install: $(STAMP)

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -e '.[dev]'
	touch $(STAMP)

## clean: remove the virtualenv, collected static files and the local data (embedded database, secret key)
clean:
	rm -rf $(VENV) staticfiles .data
