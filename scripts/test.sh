#!/usr/bin/env bash
# Sets everything up (including Chromium and a CJK font), then lints and runs the whole suite.
# The tests start their own PostgreSQL + PostGIS; browser tests drive Debian's Chromium.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh --test
.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/python -m pytest "$@"
