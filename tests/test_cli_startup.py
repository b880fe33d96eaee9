"""The CLI starts at once: client commands and --help load none of the server's heavy libraries."""

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner
from harness import free_port

import batchsvc
from batchsvc.cli.main import main

HEAVY = ("sklearn", "pandas", "pyarrow", "numpy", "dramatiq", "redis", "apscheduler", "starlette", "uvicorn",
         "joblib", "pydantic_settings")

# Runs the CLI entry on the arguments, then prints the top-level names of the modules it loaded.
WRAPPER = """
import json, sys
from batchsvc.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted({name.partition(".")[0] for name in sys.modules})))
"""

NOBODY = f"http://127.0.0.1:{free_port()}"  # every client command fails to connect: start-up to the error exit

COMMANDS = [
    ["--help"],
    ["--version"],
    ["jobs", "--url", NOBODY],
    ["jobs", "--json", "--url", NOBODY],
    ["status", "some-job", "--json", "--url", NOBODY],
    ["status", "some-job", "--watch", "--url", NOBODY],
    ["cancel", "some-job", "--url", NOBODY],
    ["events", "some-job", "--url", NOBODY],
    ["results", "some-job", "--url", NOBODY],
    ["models", "list", "--url", NOBODY],
    ["models", "show", "credit-risk", "--url", NOBODY],
    ["models", "alias", "credit-risk", "production", "1", "--url", NOBODY],
    ["submit", "--model", "credit-risk", "--input", "sample_data/x.parquet", "--url", NOBODY],
    ["keys", "--help"],
    ["api", "--help"],
    ["schedules", "apply", "--help"],
    ["gc", "--help"],
    ["schedules", "list", "--url", NOBODY],
    ["schedules", "pause", "nightly", "--url", NOBODY],
    ["delete", "some-job", "--url", NOBODY],
    ["models", "delete", "credit-risk", "1", "--yes", "--url", NOBODY],
    ["deployments", "list", "--url", NOBODY],
    ["deployments", "predict", "credit-risk-online", "--record", "Age=30", "--url", NOBODY],
]


def label(args: list[str]) -> str:
    """A test id without the (random) port."""
    return " ".join(a for a in args if a != NOBODY)


def modules_loaded_by(args: list[str], cwd) -> list[str]:
    """Top-level module names loaded by `batchsvc ARGS` in a fresh interpreter (with no BATCHSVC_* settings)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BATCHSVC_")}
    done = subprocess.run([sys.executable, "-c", WRAPPER, *args], capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.parametrize("args", COMMANDS, ids=label)
def test_client_commands_and_help_import_no_heavy_library(args, tmp_path):
    # When the command runs in a fresh interpreter
    loaded = modules_loaded_by(args, tmp_path)
    # Then none of the server's heavy libraries was imported
    assert [m for m in HEAVY if m in loaded] == []


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["models", "--help"]], ids=label)
def test_help_and_version_import_neither_httpx_nor_rich(args, tmp_path):
    # (a command that sends a request loads both: httpx imports rich for its own command line)
    loaded = modules_loaded_by(args, tmp_path)
    assert "httpx" not in loaded and "rich" not in loaded


def test_version_prints_the_package_version():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"batchsvc {batchsvc.__version__}\n"
