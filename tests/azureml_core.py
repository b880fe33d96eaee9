"""azureml-core's Model.get_model_path beside batchsvc: a venv of its own (tests/vendors.py) holding batchsvc from
this checkout without its test extras (azureml-core 1.61 needs pathspec<1.0, our mypy >=1.0), its `azure` extra
(azmlinfsrv, to compare with) and azureml-core, with this run's scikit-learn, numpy and pandas."""

import importlib.metadata
import tomllib
from pathlib import Path

import pytest
from azmlinfsrv import INSTALL_TIMEOUT_S, SERVER_SPEC
from harness import ROOT
from vendors import vendor_venv

CORE_SPEC = "azureml-core==1.61.0.post4"


def core_spec() -> list[str]:
    """An editable install of this checkout with its `azure` extra, azureml-core, and this venv's scikit-learn,
    numpy and pandas; batchsvc's own requirements are listed too, so a change to them builds a new venv."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    same = [f"{name}=={importlib.metadata.version(name)}" for name in ("scikit-learn", "numpy", "pandas")]
    return ["-e", f"{ROOT}[azure]", CORE_SPEC, SERVER_SPEC, *same, *project["dependencies"]]


@pytest.fixture(scope="session")
def azureml_python() -> Path:
    """The python of the venv with batchsvc (this checkout, editable), azmlinfsrv and azureml-core."""
    return vendor_venv("azureml-core", core_spec(), INSTALL_TIMEOUT_S)
