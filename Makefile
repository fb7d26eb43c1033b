# Two entry points: `make run` and `make test`. Both create .venv/ and install on first use
# (and again whenever pyproject.toml or the local-model installer changes).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
STAMP := $(VENV)/.installed
# Peers for interoperability tests: a stock fastmcp 3.x (MCP 2025-11-25, mcp 1.x) client and server.
PEERS := .venv-peers
PEERS_STAMP := $(PEERS)/.installed
# MCP servers from npm (the official "everything" server; Node >= 18), pinned with hashes in
# tests/peers/npm/package-lock.json, for the several-servers tests.
NPM_PEERS := tests/peers/npm
NPM_PEERS_STAMP := $(NPM_PEERS)/node_modules/.installed

# When the check $(1) fails, install the Debian packages $(2) as root (as on CI), or else say what
# to run; $(3) says what make test needs them for.
define debian_packages
$(1) >/dev/null 2>&1 || { \
  if [ "$$(id -u)" = 0 ]; then \
    echo "installing $(2) (Debian): make test needs $(3)"; \
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) >/dev/null; \
  else \
    echo "make test needs $(3): sudo apt-get install $(2)" >&2; exit 1; \
  fi; }
endef

.PHONY: run test server clean chromium postgres-binaries

$(STAMP): pyproject.toml scripts/install-local.sh
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[dev]'
	# The offline model (llama.cpp compiles once per machine, 2-10 min on 2 cores; cached after).
	scripts/install-local.sh $(VENV)
	@touch $(STAMP)

$(PEERS_STAMP):
	@test -x $(PEERS)/bin/python || $(PYTHON) -m venv $(PEERS)
	$(PEERS)/bin/python -m pip install --quiet 'fastmcp==3.2.4' 'mcp==1.30.0'
	@touch $(PEERS_STAMP)

$(NPM_PEERS_STAMP): $(NPM_PEERS)/package-lock.json
	@$(call debian_packages,command -v npm,nodejs npm,Node.js >= 18 and npm (the MCP everything server))
	npm ci --prefix $(NPM_PEERS) --no-audit --no-fund --loglevel=error
	@touch $(NPM_PEERS_STAMP)

run: $(STAMP)
	$(VENV)/bin/trip-agent $(ARGS)

server: $(STAMP)
	$(VENV)/bin/trip-server $(ARGS)

test: $(STAMP) $(PEERS_STAMP) $(NPM_PEERS_STAMP) chromium postgres-binaries
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

# Headless Chromium renders the eval report in the tests (no horizontal overflow at 1200 px).
# Installed once from Debian when missing and we are root (as on CI); otherwise that test says why.
chromium:
	@command -v chromium >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || { \
		echo "installing chromium (Debian) for the eval report test"; \
		apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The suite starts its own throwaway PostgreSQL (tests/mcp_server/postgres_cluster.py) from Debian's
# server binaries; a fresh machine gets them here, once. Not root: say what to run.
postgres-binaries:
	@$(call debian_packages,ls /usr/lib/postgresql/*/bin/initdb,postgresql,PostgreSQL's server binaries)

clean:
	rm -rf $(VENV) $(PEERS) $(NPM_PEERS)/node_modules .pytest_cache
