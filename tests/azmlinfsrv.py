"""Azure's own inference server (azureml-inference-server-http, `azmlinfsrv`) beside batchsvc: its venv
(tests/vendors.py, with the scikit-learn, numpy and pandas installed here) and one server per entry script,
started by the package's own launcher (amlserver_linux.run) bound to loopback, never 0.0.0.0."""

import importlib.metadata
import os
import shutil
import subprocess
from pathlib import Path

import httpx
import joblib
import numpy as np
import pytest
from harness import free_port, wait_for
from sklearn.linear_model import Ridge
from vendors import vendor_venv

SERVER_SPEC = "azureml-inference-server-http==1.5.1"
SAMPLES = Path(__file__).parent / "azure_samples"
INSTALL_TIMEOUT_S = 900  # flask, gunicorn, opentelemetry, scikit-learn: ~1 min on an idle machine, 5 under load
START_TIMEOUT_S = 60
MODEL_FILE = "sklearn_regression_model.pkl"


def vendor_spec() -> list[str]:
    """The server and this venv's scikit-learn, numpy and pandas, so both load the same pickle the same way."""
    same = [f"{name}=={importlib.metadata.version(name)}" for name in ("scikit-learn", "numpy", "pandas")]
    return [SERVER_SPEC, *same]


@pytest.fixture(scope="session")
def azure_python() -> Path:
    """The python of azmlinfsrv's own venv (tests/vendors.py), with this run's scikit-learn, numpy and pandas."""
    return vendor_venv("azmlinfsrv", vendor_spec(), INSTALL_TIMEOUT_S)


@pytest.fixture(scope="session")
def regression_model():
    """A Ridge regression on 10 features, as Microsoft's model-1 sample deploys."""
    rng = np.random.default_rng(11)
    X = rng.uniform(0, 10, (200, 10))
    return Ridge().fit(X, X @ np.arange(1, 11) + 5)


def sample_folder(name: str, model, into: Path) -> Path:
    """A copy of tests/azure_samples/<name>/ with the model file where its script looks (model/ for model1)."""
    folder = into / name
    shutil.copytree(SAMPLES / name, folder, dirs_exist_ok=True)
    target = folder / "model" / MODEL_FILE if name == "model1" else folder / MODEL_FILE
    target.parent.mkdir(exist_ok=True)
    joblib.dump(model, target)
    return folder


class Azmlinfsrv:
    """azmlinfsrv serving one folder's score.py on a free loopback port."""

    def __init__(self, python: Path, folder: Path, log: Path):
        self.port = free_port()
        env = {**os.environ, "AML_APP_ROOT": str(folder), "AZUREML_ENTRY_SCRIPT": "score.py",
               "AZUREML_MODEL_DIR": str(folder), "WORKER_COUNT": "1"}
        launcher = f"from azureml_inference_server_http import amlserver_linux as s; s.run('127.0.0.1', {self.port}, 1)"
        self.log = open(log, "ab")
        self.proc = subprocess.Popen([str(python), "-c", launcher], env=env, cwd=folder, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.url = f"http://127.0.0.1:{self.port}"
        wait_for(self._healthy, START_TIMEOUT_S, 0.2, f"azmlinfsrv on {folder.name} (log: {log})")

    def _healthy(self) -> bool:
        assert self.proc.poll() is None, f"azmlinfsrv exited with {self.proc.returncode}"
        try:
            return httpx.get(self.url + "/", timeout=2).text == "Healthy"
        except httpx.TransportError:
            return False

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
        self.log.close()
