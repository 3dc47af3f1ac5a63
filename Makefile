# Gatehouse — the two commands a newcomer needs are `make run` and `make test`.
# Everything is installed into .venv from requirements.lock on first use; only Python >= 3.11
# and make are needed on the machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PACKAGES := libs/contracts libs/common tools/devstack tools/authenticator services/identity services/registry services/notifier
STAMP := $(VENV)/.installed

.PHONY: install run demo manage demo-code test lint typecheck protos protos-check test-fast bench lock clean deploy-check images

$(STAMP): requirements.lock $(foreach p,$(PACKAGES),$(p)/pyproject.toml)
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "Python >= 3.11 is required (found: $$($(PYTHON) --version))"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation $(foreach p,$(PACKAGES),-e $(p))
	touch $(STAMP)

install: $(STAMP)

## make run: the whole system on this machine (embedded PostgreSQL, NATS, SMTP sink, 3 services)
run: install
	$(BIN)/gatehouse-dev run

## make demo: the same with example people and operators, and how to sign in as each
demo: install
	$(BIN)/gatehouse-dev run --demo

## make manage ARGS='registry add-administrator --email … --organization-code …': a service's
## operating command beside `make run`, with the settings make run gives it (ARGS='registry --help')
manage: install
	$(BIN)/gatehouse-dev manage $(ARGS)

## make demo-code WHO=emma: the current authenticator-app code of an example account
demo-code: install
	$(BIN)/gatehouse-dev demo-code $(WHO)

## make test: lint, contracts and the whole test suite against real servers.
## Two pytest-xdist workers, each with its own system on its own ports: most of the suite waits on
## processes and the network, so two workers shorten it even on two cores. Whole files
## go to one worker (--dist loadfile): browser walks run their steps in order.
TEST_WORKERS ?= 2
test: install lint protos-check
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

test-fast: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile -m "not browser"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy libs/common/src services/identity/src services/registry/src services/notifier/src tools/devstack/src tools/authenticator/src
	$(BIN)/buf lint protos

protos: install
	VENV=$(VENV) scripts/generate-protos

protos-check: install
	@tmp=$$(mktemp -d) && VENV=$(VENV) scripts/generate-protos $$tmp >/dev/null && \
	  diff -r -x __pycache__ $$tmp/gatehouse libs/contracts/src/gatehouse && rm -rf $$tmp && \
	  echo "generated contracts are up to date" || \
	  { echo "libs/contracts is stale: run 'make protos' and commit"; exit 1; }

bench: install
	$(BIN)/python -m gatehouse_devstack.bench

## make deploy-check: offline checks of images, compose, Kubernetes manifests and monitoring
deploy-check: install
	$(BIN)/python -m pytest tests/deploy -q -p no:cacheprovider

IMAGE_PREFIX ?= gatehouse
VERSION ?= dev
## make images: one image per service (needs a Docker engine)
images:
	for s in identity registry notifier; do \
	  docker build -f services/$$s/Dockerfile -t $(IMAGE_PREFIX)/$$s:$(VERSION) . || exit 1; done

## make lock: re-resolve requirements.in into requirements.lock (pins only third-party packages)
lock: install
	$(BIN)/pip-compile --quiet --strip-extras --allow-unsafe --no-emit-index-url \
	  --no-emit-find-links -o requirements.lock requirements.in
	# drop the project's own editable packages (and their '# via' lines): make installs them itself
	awk '/^-e file:/{skip=1; next} skip && /^ /{next} {skip=0; print}' requirements.lock > requirements.lock.tmp
	mv requirements.lock.tmp requirements.lock

clean:
	rm -rf $(VENV) var
