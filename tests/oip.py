"""Open Inference Protocol fixtures: the real tritonclient[http] in a venv of its own (.venv-triton/, reused
when a previous run completed it), never the project's venv."""

from pathlib import Path

import pytest
from harness import ROOT, client_venv

CLIENT_SPEC = "tritonclient[http]==2.73.0"
CLIENT_VENV = ROOT / ".venv-triton"
INSTALL_TIMEOUT_S = 600  # tritonclient with numpy, gevent and geventhttpclient


@pytest.fixture(scope="session")
def triton_python() -> Path:
    """The python of .venv-triton/, with tritonclient[http] installed."""
    return client_venv(CLIENT_VENV, CLIENT_SPEC, INSTALL_TIMEOUT_S)
