"""Vendors' clients and servers in venvs of their own (they pin their own pandas), built by the test run and reused.

Each lives in BATCHSVC_TEST_VENVS (default ~/.cache/batchsvc/test-venvs), outside the clone, in a folder named by
the vendor and a digest of its exact requirements: a rerun, another clone or CI on the same machine reuses a
complete one, a new machine builds it, and a changed pin builds a new one beside the old."""

import fcntl
import hashlib
import os
import subprocess
import sys
from pathlib import Path

VENVS = Path(os.environ.get("BATCHSVC_TEST_VENVS") or Path.home() / ".cache" / "batchsvc" / "test-venvs")
VENV_TIMEOUT_S = 120


def vendor_venv(name: str, requirements: list[str], install_timeout_s: int = 900) -> Path:
    """The python of the venv holding exactly `requirements`, built when absent or incomplete (a finished build
    leaves `.complete` naming them)."""
    spec = " ".join(requirements)
    folder = VENVS / f"{name}-{hashlib.sha256(spec.encode()).hexdigest()[:10]}"
    python, done = folder / "bin" / "python", folder / ".complete"
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.with_name(folder.name + ".lock"), "w") as lock:  # two test runs never build one venv at once
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (done.exists() and done.read_text() == spec and python.exists()):
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(folder)], check=True, timeout=VENV_TIMEOUT_S)
            subprocess.run([str(python), "-m", "pip", "install", "-q", *requirements], check=True,
                           timeout=install_timeout_s)
            done.write_text(spec)
    return python
