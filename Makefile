# Two commands for a new user on a fresh machine (Python 3.11, pip, Debian):
#   make run    install, build the index if missing or stale, serve the demo (demo mode)
#   make test   install test dependencies (and Chromium), lint, type-check, run every test
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

# Nothing may download a model at run time.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run test install install-dev index lint typecheck system-deps bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

index: install
	$(BIN)/python -m indexer build corpus --out var/index --if-stale

# --demo: demo users (password demo1234), experts and the demo portal; never for real users.
run: index
	$(BIN)/python -m assistant serve --demo --host $(HOST) --port $(PORT)

# Debian's Chromium for the browser tests (Playwright drives it; no browser download),
# and a CJK font so the screenshots they save show Chinese text instead of boxes.
system-deps:
	@{ command -v chromium >/dev/null 2>&1 && [ -e /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ]; } || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null; }

lint: install-dev
	$(BIN)/ruff check .

typecheck: install-dev
	$(BIN)/mypy

test: install-dev system-deps lint typecheck
	$(BIN)/pytest

bench: install
	$(BIN)/python -m eval retrieval --dataset ../shared/benchmarks/cmrc2018-dev --json var/bench/cmrc2018.json
	$(BIN)/python -m eval scale --json var/bench/scale.json
	$(BIN)/python -m eval rebates --json var/bench/rebates.json

clean:
	rm -rf var/index var/bench .pytest_cache .mypy_cache .ruff_cache
