# The two commands of the README, and the pieces they are made of.
#   make lab    set everything up, then run JupyterLab with jupyter-branch on examples/
#   make test   set everything up, then run the whole test suite
#   make bench  measure SPEC's speed and size bars (docs/benchmarks.md); BENCH_FLAGS=--quick
# Setup is idempotent: a stamp in .venv is renewed when the build inputs change.

SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
PORT ?= 8888
# Galata drives this browser; Playwright's own downloads are not used.
CHROMIUM ?= /usr/bin/chromium

.PHONY: lab test setup test-python test-js test-ui test-compat screenshots chromium postgresql valgrind lint clean check-auth

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.setup-stamp: $(PY) pyproject.toml package.json yarn.lock
	$(PY) -m pip install -q -e ".[test,dev]"
	$(BIN)/jupyter-builder develop --overwrite . >/dev/null
	touch $@

setup: $(VENV)/.setup-stamp
	@# the frontend is rebuilt when its sources are newer than the built extension
	@if [ -n "$$(find labextension style schema -newer jupyter_branch/labextension/package.json -type f 2>/dev/null | head -1)" ] \
	    || [ ! -f jupyter_branch/labextension/package.json ]; then \
	  jlpm build; fi

# The notebook is opened through the default URL, not as an argument: jupyter
# lab resolves a NOTEBOOK argument against the working directory, not root_dir
# (jupyter_server 2.21). The browser, and / on the server, land on the demo.
lab: setup
	$(BIN)/jupyter lab --ServerApp.root_dir=examples --ServerApp.ip=127.0.0.1 \
	  --ServerApp.port=$(PORT) --LabApp.default_url=/lab/tree/demo.ipynb $(ROOT_FLAG)

test: setup
	$(MAKE) lint test-js test-python check-auth test-ui test-compat

# The PostgreSQL variants of the tests need Debian's postgresql (installed here when
# missing and root); they start a server of their own and must not be skipped.
test-python: setup postgresql
	JUPYTER_BRANCH_REQUIRE_POSTGRES=1 $(BIN)/python -m pytest

# A real `jupyter server` on a free port: fails if any jupyter-branch route answers
# any method without credentials (scripts/check_auth.py says how).
check-auth: setup
	$(BIN)/python scripts/check_auth.py

test-js: setup
	jlpm test

# UI tests: Galata (Playwright) in Chromium against a JupyterLab server of their
# own (ui-tests/playwright.config.ts). JUPYTER_BRANCH_UI_PORT=... to change its
# port (8899); arguments for Playwright: cd ui-tests && jlpm test -g panel
test-ui: setup chromium ui-tests/node_modules/.yarn-state.yml
	cd ui-tests && CHROMIUM_PATH=$(CHROMIUM) jlpm test

# The compatibility suite (docs/development.md): our wheel with Notebook 7.6,
# jupyter-collaboration 5.0, jupyter-server-nbmodel 0.2 and jupyter-server-documents
# 0.3, each in a venv of its own (cached in .compat/), a real server and kernel driven
# in Chromium. SETUPS=nb7,collab runs some of them; logs in ui-tests/compat-results/.
SETUPS ?=
test-compat: setup chromium ui-tests/node_modules/.yarn-state.yml
	CHROMIUM_PATH=$(CHROMIUM) $(PY) scripts/compat.py $(if $(SETUPS),--setups $(SETUPS),)

# Screenshots of the panel for docs/screenshots/, taken by the UI tests
screenshots: setup chromium ui-tests/node_modules/.yarn-state.yml
	cd ui-tests && JUPYTER_BRANCH_SCREENSHOTS=1 CHROMIUM_PATH=$(CHROMIUM) jlpm test

ui-tests/node_modules/.yarn-state.yml: ui-tests/package.json ui-tests/yarn.lock
	cd ui-tests && jlpm install --immutable
	touch $@

postgresql:
	@if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 && ! command -v pg_ctl >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "PostgreSQL not found: installing Debian's postgresql"; \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql; \
	  else \
	    echo "The tests need PostgreSQL's server programs. Install them (sudo apt-get install" \
	      "postgresql)." >&2; \
	    exit 1; \
	  fi; \
	fi

chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Chromium not found at $(CHROMIUM): installing Debian's chromium"; \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	  else \
	    echo "The UI tests need Chromium at $(CHROMIUM). Install it (sudo apt-get install chromium)" \
	      "or point CHROMIUM=/path/to/chromium at one." >&2; \
	    exit 1; \
	  fi; \
	fi

# bench/instructions.py counts the server's instructions under callgrind
valgrind:
	@if ! command -v valgrind >/dev/null || ! command -v callgrind_control >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "valgrind not found: installing Debian's valgrind"; \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y valgrind; \
	  else \
	    echo "The bench needs valgrind (sudo apt-get install valgrind)." >&2; \
	    exit 1; \
	  fi; \
	fi

lint: setup
	$(BIN)/ruff check jupyter_branch tests $(wildcard bench/*.py)
	$(BIN)/ruff format --check jupyter_branch tests $(wildcard bench/*.py)
	$(BIN)/mypy
	jlpm lint:check

# The benchmarks: a real server, ipykernel, Chromium and valgrind (installed when missing
# and root); rewrites docs/benchmarks.md.
BENCH_FLAGS ?=
bench: setup chromium valgrind
	$(PY) -m pip install -q -r bench/requirements.txt
	cd bench && npm ci --no-audit --no-fund --loglevel=error
	$(PY) -m bench $(BENCH_FLAGS)

clean:
	rm -rf $(VENV) node_modules lib jupyter_branch/labextension ui-tests/node_modules \
	  .compat ui-tests/compat-results
