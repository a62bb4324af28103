# Jornada developer commands. `make run` starts everything; `make test` runs the suite.
# Everything runs from the virtualenv in .venv (created on demand by `make install`).

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
PORT ?= 8000
ARGS ?=
PO := locale/pt_BR/LC_MESSAGES/django.po
MO := locale/pt_BR/LC_MESSAGES/django.mo

# The machine sets PYTHONDONTWRITEBYTECODE=1: every process would then recompile Django (+1.3 s).
unexport PYTHONDONTWRITEBYTECODE
# django-environ rejects a variable that is set but empty: treat empty as unset (embedded default).
ifeq ($(DATABASE_URL),)
unexport DATABASE_URL
endif
ifeq ($(CELERY_BROKER_URL),)
unexport CELERY_BROKER_URL
endif
ifeq ($(EMAIL_URL),)
unexport EMAIL_URL
endif

# Development-only management commands (lint, schema, messages) need no SECRET_KEY.
DEV := DEBUG=$${DEBUG:-1}

.PHONY: help install run test lint fmt schema bench messages e2e

help:
	@echo "make run        install, migrate, seed the demo, start web on 127.0.0.1:\$$PORT (default 8000) + worker with beat"
	@echo "make test       run the test suite (extra pytest arguments: make test ARGS='-k invitation -x')"
	@echo "make e2e        browser tests in the system Chromium (E2E=1)"
	@echo "make lint       ruff check, ruff format --check, makemigrations --check, mypy"
	@echo "make fmt        ruff format + ruff check --fix"
	@echo "make schema     write openapi.yaml (validated)"
	@echo "make messages   update and compile the pt_BR translations"
	@echo "make bench      run the benchmarks (bench/)"
	@echo "make install    create .venv and install the locked dependencies (uv.lock)"

install:
	@[ -x $(PY) ] || python3 -m venv $(VENV)
	@[ -x $(UV) ] || $(PY) -m pip install -q uv
	@$(UV) sync --frozen --inexact --quiet
	@if [ -f $(PO) ] && command -v msgfmt >/dev/null 2>&1 && { [ ! -f $(MO) ] || [ $(PO) -nt $(MO) ]; }; then \
		msgfmt --check-format -o $(MO) $(PO) && echo "compiled $(MO)"; \
	fi

run: install
	@PORT=$(PORT) scripts/run.sh

# pytest exits 5 when it collected no test: that is a failure, never a silent pass.
test: install
	@rc=0; $(VENV)/bin/pytest $(ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests (exit 5)" >&2; exit 1; fi; \
	exit $$rc

e2e: install
	@rc=0; E2E=1 $(VENV)/bin/pytest tests/e2e $(ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make e2e: pytest collected no tests (exit 5)" >&2; exit 1; fi; \
	exit $$rc

# All three checks run; the target fails if any of them failed.
lint: install
	@rc=0; \
	$(VENV)/bin/ruff check . || rc=1; \
	$(VENV)/bin/ruff format --check . || rc=1; \
	$(DEV) $(PY) manage.py makemigrations --check --dry-run || rc=1; \
	$(DEV) $(VENV)/bin/mypy || rc=1; \
	exit $$rc

fmt: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

schema: install
	$(DEV) $(PY) manage.py spectacular --file openapi.yaml --validate

# Benchmarks run on the throwaway PostgreSQL of .ci/services.sh unless DATABASE_URL is set.
bench: install
	@if [ -z "$$DATABASE_URL" ]; then source .ci/services.sh && ci_services_start; fi; \
	$(DEV) $(PY) manage.py migrate -v0 && $(DEV) $(PY) -m bench $(ARGS)

messages: install
	$(DEV) $(PY) manage.py makemessages -l pt_BR --ignore=.venv --ignore=var --ignore=static --ignore=tests --ignore=bench --no-obsolete
	$(DEV) $(PY) manage.py compilemessages -l pt_BR --ignore=.venv --ignore=var
