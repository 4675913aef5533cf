# One-line targets. `make run` and `make test` set everything up themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test lint fmt migrate shell bench deps assets clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	./bin/system-deps assets
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The dashboard's CSS, JS and fonts, copied from node_modules into its static files (git-ignored).
ASSETS := dashboard/static/vendor/.built
$(ASSETS): node_modules/.installed bin/build-assets.mjs
	node bin/build-assets.mjs

assets: $(ASSETS)

deps: $(VENV)/.installed

run: $(VENV)/.installed $(ASSETS)
	$(PY) -m callrail.run all

test: $(VENV)/.installed $(ASSETS)
	./bin/system-deps
	$(PY) -m callrail.testenv $(PY) -m pytest $(PYTEST_ARGS)

# `make bench dashboard api`: only the benchmarks named after `bench` (all of them without names).
BENCH_NAMES := $(if $(filter bench,$(firstword $(MAKECMDGOALS))),$(wordlist 2,$(words $(MAKECMDGOALS)),$(MAKECMDGOALS)))
bench: $(VENV)/.installed
	./bin/system-deps bench
	$(PY) -m callrail.testenv $(PY) -m bench $(BENCH_NAMES)

ifneq ($(BENCH_NAMES),)
# The names are arguments, not targets of their own (`dashboard` is also a directory).
.PHONY: $(BENCH_NAMES)
$(BENCH_NAMES):
	@:
endif

# mypy's Django plugin imports the settings, which want a SECRET_KEY unless DEBUG is on;
# its cache lives under var/ so a second run checks only what changed.
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && DEBUG=true $(VENV)/bin/mypy

fmt: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix . && $(VENV)/bin/ruff format .

migrate: $(VENV)/.installed
	$(PY) manage.py migrate

shell: $(VENV)/.installed
	$(PY) manage.py shell

clean:
	rm -rf $(VENV) node_modules var staticfiles dashboard/static/vendor
