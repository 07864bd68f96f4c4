#!/usr/bin/env bash
# Lint, type-check and test: what a change must pass before it is committed.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check src tests bench scripts
.venv/bin/mypy src
exec bash scripts/test.sh "$@"
