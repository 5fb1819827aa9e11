# Creator Studio. `make demo` makes a video; `make test` runs the tests. Each target installs
# what it needs first (Debian packages when missing, then the Python package in .venv).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

# ffmpeg cuts and probes; pkg-config, cairo and pango build Manim's pycairo and manimpango;
# espeak-ng is the fallback voice (and Piper's phonemiser data); DejaVu is the font we name;
# chromium is the only browser Remotion ever uses; nodejs and npm install and run Remotion.
# Noto core (Arabic, Hebrew, Devanagari, Thai, ...) and Noto CJK (Chinese, Japanese, Korean) give
# other scripts real glyphs: Pango (Manim), libass (captions) and Chromium find them by fontconfig.
# redis-server is the Celery broker for CREATOR_EXECUTOR=celery (docs/scaling.md; the tests start one).
APT_PACKAGES := curl ffmpeg pkg-config libcairo2-dev libpango1.0-dev espeak-ng fonts-dejavu-core \
	fonts-noto-core fonts-noto-cjk gcc python3-dev chromium redis-server
REMOTION := remotion_project

.PHONY: help install system-deps python-deps remotion-deps run demo test lint bench bench-sessions diagram stills clean

help:
	@echo "make demo    start the service, make a social_media video, print its path"
	@echo "make run     serve on http://$(HOST):$(PORT) (Creator Mode at ws://$(HOST):$(PORT)/ws/creator)"
	@echo "make test    run the test suite"
	@echo "make bench   time every stage and the event loop's responsiveness"
	@echo "make bench-sessions  restart and resume times with 200 stored sessions"
	@echo "make diagram redraw the README's diagrams (state machine, stage dependencies) from the code"
	@echo "make stills  render one still per video type into docs/stills/"

install: system-deps python-deps remotion-deps

system-deps:
	@missing=""; \
	for pkg in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' "$$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$pkg"; \
	done; \
	command -v node >/dev/null 2>&1 || missing="$$missing nodejs"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

python-deps: $(VENV)/.installed

$(VENV)/.installed: setup.cfg pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[test]'
	@touch $@

# The Remotion project, from its lockfile; then its bundle, made once per version of the sources.
remotion-deps: $(REMOTION)/node_modules/.installed
	@cd $(REMOTION) && node render.mjs --bundle-only >/dev/null

$(REMOTION)/node_modules/.installed: $(REMOTION)/package.json $(REMOTION)/package-lock.json
	cd $(REMOTION) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

run: install
	$(BIN)/uvicorn creator_service.app:app --host $(HOST) --port $(PORT)

demo: install
	@BIN=$(BIN) HOST=$(HOST) PORT=$(PORT) scripts/demo.sh

test: install lint
	$(BIN)/pytest

lint: python-deps remotion-deps
	$(BIN)/ruff check creator_service tests bench scripts
	cd $(REMOTION) && npx tsc --noEmit

bench: install
	$(BIN)/python bench/bench_pipeline.py

bench-sessions: install
	$(BIN)/python bench/bench_sessions.py

diagram: python-deps
	$(BIN)/python -m creator_service.diagrams --readme README.md

# One still per video type for the README (docs/stills/*.png), rendered for real at low quality.
stills: install
	$(BIN)/python scripts/make_stills.py docs/stills

clean:
	rm -rf data test-artifacts bench/results .pytest_cache $(REMOTION)/build
