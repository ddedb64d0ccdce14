#!/usr/bin/env bash
# Sets everything up, then runs gridmap on the demo street (侏儒山街道, 示意数据).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
exec .venv/bin/gridmap run-demo "$@"
