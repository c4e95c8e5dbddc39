# The two commands: `make run` (set up + start on SQLite with the demo city) and `make test`.
PY := .venv/bin/python
PIP := .venv/bin/pip
JIESU := .venv/bin/jiesu
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test setup venv system-deps demo worker clean

venv: .venv/.installed

.venv/.installed: pyproject.toml
	python3 -m venv .venv
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[test]'
	touch $@

setup: venv
	$(PY) -m jiesu.core.i18n_compile
	$(JIESU) setup

run: setup
	@echo "Jiesu 接诉 is running at http://$(HOST):$(PORT)/ with its worker  (demo users in README.md; Ctrl-C stops both)"
	$(JIESU) run $(HOST):$(PORT)

system-deps:
	@scripts/ensure-system-deps.sh

# The suite runs in one process per CPU (pytest-xdist; each process has its own test database and var directory),
# a test file's tests in the same process. TEST_PROCESSES=0 runs it in this one process.
TEST_PROCESSES ?= auto

test: venv system-deps
	$(PY) -m jiesu.core.i18n_compile
	$(PY) -m pytest -n $(TEST_PROCESSES) --dist loadfile $(PYTEST_ARGS)

worker: setup
	$(JIESU) worker

clean:
	rm -rf var .venv
