"""Open Inference Protocol fixtures: the real tritonclient[http] in a venv of its own (.venv-triton/, reused
when a previous run completed it), never the project's venv."""

import subprocess
import sys
from pathlib import Path

import pytest
from harness import ROOT

CLIENT_SPEC = "tritonclient[http]==2.73.0"
CLIENT_VENV = ROOT / ".venv-triton"
INSTALL_TIMEOUT_S = 600  # tritonclient, numpy, gevent and geventhttpclient: under a minute measured here


@pytest.fixture(scope="session")
def triton_python() -> Path:
    """The python of .venv-triton/, with tritonclient[http] installed."""
    python, done = CLIENT_VENV / "bin" / "python", CLIENT_VENV / ".complete"
    if not (done.exists() and done.read_text() == CLIENT_SPEC and python.exists()):
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(CLIENT_VENV)], check=True, timeout=120)
        subprocess.run([str(python), "-m", "pip", "install", "-q", CLIENT_SPEC], check=True,
                       timeout=INSTALL_TIMEOUT_S)
        done.write_text(CLIENT_SPEC)
    return python
