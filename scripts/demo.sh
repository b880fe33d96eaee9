#!/usr/bin/env bash
# Quick start 1: install batchsvc into .venv, then run the demo end to end (service, model, job, results).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e .
exec .venv/bin/python scripts/demo.py "$@"
