"""azureml-core's Model.get_model_path beside batchsvc: a venv of its own (tests/vendors.py) with batchsvc's
requirements without its test extras (azureml-core 1.61 needs pathspec<1.0, our mypy >=1.0), its `azure` extra
(azmlinfsrv, to compare with), azureml-core, and this run's scikit-learn, numpy and pandas. batchsvc itself runs
from this checkout (on PYTHONPATH), so every clone and every edit shares one venv, built once per set of pins."""

import importlib.metadata
import tomllib
from pathlib import Path

import pytest
from azmlinfsrv import INSTALL_TIMEOUT_S
from harness import ROOT
from vendors import vendor_venv

CORE_SPEC = "azureml-core==1.61.0.post4"


def core_spec() -> list[str]:
    """batchsvc's requirements and its `azure` extra, as pyproject.toml lists them, azureml-core, and this venv's
    scikit-learn, numpy and pandas (both servers load the test's pickles)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    same = [f"{name}=={importlib.metadata.version(name)}" for name in ("scikit-learn", "numpy", "pandas")]
    return [*project["dependencies"], *project["optional-dependencies"]["azure"], CORE_SPEC, *same]


@pytest.fixture(scope="session")
def azureml_python() -> Path:
    """The python of the venv with batchsvc's requirements, azmlinfsrv and azureml-core; run batchsvc with this
    checkout on PYTHONPATH (or as the working directory)."""
    return vendor_venv("azureml-core", core_spec(), INSTALL_TIMEOUT_S)
