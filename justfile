# Switchyard task menu: `just --list`.
set shell := ["bash", "-euo", "pipefail", "-c"]
set dotenv-load := false

export UV_LINK_MODE := "copy"

# Show the menu.
default:
    @just --list

# Install the workspace (one uv.lock) and generate the gRPC contracts.
install:
    @command -v uv >/dev/null || python3 -m pip install --quiet uv
    uv sync --frozen
    @just gen

# Generate Python code from protos/ into libs/contracts (git-ignored).
gen:
    uv run --frozen python scripts/gen.py

# ruff, mypy and the import contracts (a service never imports another service).
lint: install
    uv run --frozen ruff check .
    uv run --frozen ruff format --check .
    uv run --frozen mypy libs/obs/src libs/grpckit/src libs/db/src libs/bus/src libs/stack/src libs/testing/src libs/donmai/src libs/signing/src libs/agent/src services/identity/src services/workers/src services/mutations/src services/agents/src services/deploy/src services/ingest/src gateway/src
    uv run --frozen lint-imports
    @command -v npx >/dev/null && npx --yes @bufbuild/buf@1.75.0 lint protos || echo 'buf lint skipped: npx not found'

# Run the whole suite (unit, integration, e2e) against the embedded stack or the *_URL servers.
test *ARGS: install
    uv run --frozen pytest {{ARGS}}

# Run one tier: just test-tier unit|integration|e2e
test-tier TIER *ARGS: install
    uv run --frozen pytest -m {{TIER}} {{ARGS}}

# Start the embedded stack, migrate, run identity and the gateway; Ctrl-C stops everything.
up: install
    uv run --frozen python -m switchyard.stack.up

# Stop embedded servers left running under .data/.
down:
    uv run --frozen python -m switchyard.stack down

# Apply every service's migrations to the configured database.
migrate: install
    uv run --frozen python -m switchyard.stack migrate

# Run a benchmark from bench/: just bench gateway
bench NAME *ARGS: install
    @command -v wrk >/dev/null || {{ if `id -u` == "0" { "apt-get install -y -qq wrk >/dev/null" } else { "echo 'bench needs wrk: sudo apt-get install wrk' && exit 2" } }}
    uv run --frozen python bench/{{NAME}}.py {{ARGS}}
