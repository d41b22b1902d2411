# The verbs a newcomer needs: `make run` and `make test`. Everything else is their parts.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
HOST ?= 127.0.0.1
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export FLASK_APP := wsgi.py
LOCALES := $(wildcard lms/translations/*/LC_MESSAGES/messages.po)
CATALOGS := $(LOCALES:.po=.mo)

.PHONY: run setup test lint translations extract tools clean help

help:
	@echo "make run    - install, migrate, import kursus/, create demo data, serve on http://$(HOST):$(PORT)"
	@echo "make test   - install dev tools and run ruff and the whole test suite"
	@echo "make extract - refresh the translation catalogs after changing user-facing text"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Reinstall only when the requirements change.
$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

lms/translations/%/LC_MESSAGES/messages.mo: lms/translations/%/LC_MESSAGES/messages.po | $(VENV)/.runtime
	$(BIN)/pybabel compile -d lms/translations -l $* 2>&1 | grep -v '^compiling' || true

translations: $(VENV)/.runtime $(CATALOGS)

setup: $(VENV)/.runtime translations
	mkdir -p instance
	$(BIN)/flask db upgrade
	$(BIN)/flask kompetensi import lms/competencies/data/kamus-nasional.toml lms/competencies/data/teknis-dinkes-ntt.toml
	$(BIN)/flask kursus import kursus
	$(BIN)/flask demo

run: setup
	$(BIN)/flask run --host $(HOST) --port $(PORT)

# Browser tests drive Debian's Chromium, and the export tests open CSV files in LibreOffice
# Calc as a user would; install them when they are missing.
tools:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Chromium from Debian's packages"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@command -v soffice >/dev/null 2>&1 || { \
	  echo "Installing LibreOffice Calc from Debian's packages"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libreoffice-calc-nogui >/dev/null; }

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: $(VENV)/.dev translations tools lint
	$(BIN)/pytest

extract: $(VENV)/.runtime
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
	  --project "ASN LMS" -o lms/translations/messages.pot .
	$(BIN)/pybabel update -i lms/translations/messages.pot -d lms/translations --no-fuzzy-matching

clean:
	rm -rf $(VENV) instance/lms.db instance/storage lms/translations/*/LC_MESSAGES/*.mo
