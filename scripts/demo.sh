#!/usr/bin/env bash
# Quick start 1: install batchsvc into .venv, then run the demo end to end (service, model, job, results).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
mkdir -p var
echo "installing batchsvc into .venv (pip's output: var/install.log)"
# pip and setuptools talk (an "editable installation" notice in a box): keep it in the log unless the install fails
if ! { .venv/bin/python -m pip install -q --upgrade pip && .venv/bin/python -m pip install -q -e .; } \
    >var/install.log 2>&1; then
  cat var/install.log >&2
  exit 1
fi
exec .venv/bin/python scripts/demo.py "$@"
