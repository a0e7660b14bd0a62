# liveroom — the two commands: `make demo` and `make test`. Both install what is missing.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= 8080
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
PYTHON ?= python3

.PHONY: install chromium services lint test demo demo-check bench format clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# Debian's chromium for the browser tests (test tools cannot download browsers here),
# a Chinese font so pages and the demo's test pattern render 中文, and nginx so the test suite
# can `nginx -t` the reverse-proxy config in deploy/.
chromium:
	@missing=""; test -x /usr/bin/chromium || missing="$$missing chromium"; \
	test -x /usr/sbin/nginx || missing="$$missing nginx-light"; \
	test -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc || missing="$$missing fonts-wqy-microhei"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing…"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	  $(SUDO) systemctl disable --now nginx >/dev/null 2>&1 || true; fi

# PostgreSQL and Redis on 127.0.0.1 for the tests that are about them (skipped with a reason when absent).
services:
	@if command -v pg_isready >/dev/null && ! pg_isready -h 127.0.0.1 -q; then \
	  echo "starting PostgreSQL…"; \
	  $(SUDO) pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start || true; \
	  for i in $$(seq 1 20); do pg_isready -h 127.0.0.1 -q && break; sleep 0.5; done; fi
	@if command -v redis-server >/dev/null && ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then \
	  echo "starting Redis…"; \
	  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no || true; \
	  for i in $$(seq 1 20); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 0.25; done; fi

lint: install
	$(BIN)/ruff check bot media tests bench
	$(BIN)/ruff format --check bot media tests bench
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix bot media tests bench
	$(BIN)/ruff format bot media tests bench

test: install chromium services lint
	$(BIN)/pytest

demo: install
	$(BIN)/liveroom demo --rules rules --port $(PORT)

# `make demo` end to end in headless Chromium: video playing, bot replies, a coupon and a vote; clean stop.
demo-check: install chromium
	$(BIN)/pytest tests/e2e/test_demo.py -p no:cacheprovider

bench: install
	@for script in bench/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done
	@echo "== bench/media_bench.py --capacity (media worker scaling)"
	$(PY) bench/media_bench.py --capacity 0.3 --duration 10 --probes 0

clean:
	rm -rf $(VENV) var test-output .pytest_cache .mypy_cache .ruff_cache
