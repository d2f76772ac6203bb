# The user's commands. `make deploy` and `make test` do all the set-up on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.ONESHELL:
.SHELLFLAGS := -eu -o pipefail -c

VENV      := .venv
BIN       := $(VENV)/bin
STAMP     := $(VENV)/.installed
PLAYBOOK  := $(BIN)/ansible-playbook
EMULATOR  := local/bin/emulator
export PATH := $(CURDIR)/$(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg

# First CPython >= 3.12 on PATH or under pyenv; ansible-core 2.21 needs 3.12.
PYTHON ?= $(shell tools/find-python)

.PHONY: help venv emulator emulator-stop deploy test lint unit molecule e2e destroy bench availability clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): requirements.lock requirements.txt
	@test -n "$(PYTHON)" || { echo "error: Python >= 3.12 not found. Install python3.12 (or newer) or set PYTHON=/path/to/python3.12" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -c requirements.lock
	tools/link-collection
	touch $@

venv: $(STAMP) ## Create the project venv with the pinned packages

emulator: $(STAMP) ## Start the local AWS emulator on 127.0.0.1:4566 (idempotent)
	$(EMULATOR) start

emulator-stop: ## Stop the local AWS emulator
	$(EMULATOR) stop

deploy: emulator ## Install everything, start the emulator, run site.yml (local inventory)
	$(PLAYBOOK) site.yml $(ARGS)

destroy: emulator ## Remove everything site.yml made
	$(PLAYBOOK) destroy.yml -e confirm=yes $(ARGS)

lint: $(STAMP) ## ansible-lint (production profile), yamllint, ruff, secret scan (tools/scan-secrets)
	tools/lint

unit: $(STAMP) ## pytest: app, emulator, modules, playbook input checks
	tools/run-pytest

molecule: $(STAMP) ## One molecule scenario per role, each against an emulator of its own
	tools/run-molecule

test: lint unit molecule ## Every test (what CI runs)

bench: $(STAMP) ## Playbook and app benchmarks on loopback -> build/bench/results.json, docs/benchmarks.md
	$(BIN)/python tools/bench $(ARGS)

availability: $(STAMP) ## Downtime budget per failure mode from the inventory's settings (ARGS="--inventory inventories/aws -e k=v")
	$(BIN)/python tools/availability $(ARGS)

clean: emulator-stop ## Remove the venv and build outputs
	rm -rf $(VENV) build
