# churnwatch — the two commands are `make run` and `make test`; both set up .venv/ on first use.
SHELL := /bin/bash
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint fmt schemas clean services native bench-pipeline-ir

run: $(BIN)/churnwatch services native  ## the demo on embedded broker + Redis
	$(BIN)/churnwatch demo

test: $(BIN)/churnwatch services lint native  ## the whole suite: lint, types, unit, integration
	$(BIN)/pytest

lint: $(BIN)/churnwatch
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m topics.schemas --check

fmt: $(BIN)/churnwatch
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

schemas: $(BIN)/churnwatch  ## regenerate topics/schemas/*.json from the record models
	$(BIN)/python -m topics.schemas

# Instructions per event of one round of churnwatch.bench_pipeline --quick, under valgrind
# (Debian): two rounds minus one, so start-up and the workload's generation cancel out. Steady
# to a fraction of a percent where CPU time moves 10-20% from run to run: for A/B of the hot path.
bench-pipeline-ir: $(BIN)/churnwatch native
	@command -v valgrind >/dev/null || $(SUDO) apt-get install -y -qq valgrind >/dev/null
	@ir() { PYTHONHASHSEED=0 valgrind --tool=cachegrind --cache-sim=no \
	    --cachegrind-out-file=/dev/null $(BIN)/python -m churnwatch.bench_pipeline --quick \
	    --rounds $$1 2>&1 | awk '/I +refs/ { gsub(",", "", $$NF); print $$NF }'; }; \
	  one=$$(ir 1); two=$$(ir 2); \
	  echo "instructions per event, one round of 20,000 events: $$(( (two - one) / 20000 ))"

# The project installed into .venv/ (editable), with the dev tools.
$(BIN)/churnwatch: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(BIN)/churnwatch

# The hot path (streams/, topics/) compiled to C by mypyc into build/native/, which the packages
# import while it is current (see config/native.py). A no-op when nothing changed; ~90 s when
# anything did. Without a C compiler the Python source runs, with a warning (CI insists:
# CHURNWATCH_REQUIRE_NATIVE=1).
native: $(BIN)/churnwatch
	@$(BIN)/python -m config.native || { \
	  echo "make native: the build failed (it needs gcc and Python's headers): the hot path" \
	    "runs as Python source, at about 1.5x the CPU per event" >&2; \
	  [ -z "$$CHURNWATCH_REQUIRE_NATIVE" ]; }

# Debian packages the tests and the demo run for real: redis-server, and chromium with its
# driver for the console's browser tests.
services:
	@command -v redis-server >/dev/null || { \
	  echo "installing redis-server (Debian package)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq redis-server >/dev/null; }
# The ops tests: prometheus (promtool, prometheus), prometheus-alertmanager (amtool) and
# docker-compose (`config` only; no Docker engine needed), without recommends. The tests run the
# binaries themselves; on a systemd host Debian also starts the packages' own services, unused.
	@missing=""; \
	  { command -v promtool && command -v prometheus; } >/dev/null || missing="$$missing prometheus"; \
	  command -v amtool >/dev/null || missing="$$missing prometheus-alertmanager"; \
	  command -v docker-compose >/dev/null || missing="$$missing docker-compose"; \
	  command -v chromium >/dev/null || missing="$$missing chromium"; \
	  command -v chromedriver >/dev/null || missing="$$missing chromium-driver"; \
	  if [ -n "$$missing" ]; then \
	    echo "installing$$missing (Debian packages)"; \
	    $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  fi

clean:
	rm -rf $(VENV) build .mypy_cache .ruff_cache .pytest_cache *.egg-info
