"""Open Inference Protocol fixtures: the real tritonclient[http] in a venv of its own (tests/vendors.py, reused
when a previous run completed it), never the project's venv."""

from pathlib import Path

import pytest
from vendors import vendor_venv

CLIENT_SPEC = "tritonclient[http]==2.73.0"
INSTALL_TIMEOUT_S = 600  # tritonclient with numpy, gevent and geventhttpclient


@pytest.fixture(scope="session")
def triton_python() -> Path:
    """The python of tritonclient's own venv (tests/vendors.py)."""
    return vendor_venv("triton", [CLIENT_SPEC], INSTALL_TIMEOUT_S)
