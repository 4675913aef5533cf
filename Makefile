# One-line targets. `make run` and `make test` set everything up themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test lint fmt migrate shell bench deps clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

deps: $(VENV)/.installed

run: $(VENV)/.installed
	$(PY) -m callrail.run all

test: $(VENV)/.installed node_modules/.installed
	./bin/system-deps
	$(PY) -m callrail.testenv $(PY) -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed
	./bin/system-deps bench
	$(PY) -m callrail.testenv $(PY) -m bench

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

fmt: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix . && $(VENV)/bin/ruff format .

migrate: $(VENV)/.installed
	$(PY) manage.py migrate

shell: $(VENV)/.installed
	$(PY) manage.py shell

clean:
	rm -rf $(VENV) node_modules var staticfiles
