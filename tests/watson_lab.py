"""The IBM lab's fixtures: a pipeline trained on the workshop's own German credit data (sample_data/), deployed
twice as the lab deploys it (online, answering predictedLabel as the lab's Flask app reads; and batch), and the
older client the lab's notebook installs, ibm-watson-machine-learning, in a venv of its own (tests/vendors.py)."""

import uuid
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from harness import ROOT, register
from sklearn.pipeline import Pipeline
from vendors import vendor_venv
from watson import SKLEARN

from batchsvc.scoring.sample import FIELDS, train_credit_risk

LAB = ROOT / "tests" / "ibm_lab"  # the lab's notebook and Flask app, unchanged (see tests/ibm_lab/README.md)
GERMAN_CREDIT = ROOT / "sample_data" / "german_credit_data.csv"
BATCH_SET = LAB / "German-Credit-Risk-SmallBatchSet.csv"
WML_SPEC = ["ibm-watson-machine-learning==1.0.370", SKLEARN]


@dataclass
class Lab:
    pipeline: Pipeline  # trained on german_credit_data.csv
    model: str  # its native name
    online: dict  # the native deployment records
    batch: dict


@pytest.fixture(scope="session")
def lab(secure, watson) -> Lab:
    """The German credit pipeline registered, and its two deployments (online with label_field predictedLabel)."""
    pipeline = train_credit_risk(pd.read_csv(GERMAN_CREDIT))
    with secure.client("admin") as admin:
        model = register(admin, f"german-{uuid.uuid4().hex[:6]}", pipeline)["name"]
        made = [admin.post("/v1/deployments", json={"name": f"{model}-{kind}", "model": model, **extra})
                for kind, extra in (("online", {"label_field": "predictedLabel"}), ("batch", {}))]
    assert all(r.status_code == 201 for r in made), [r.text for r in made]
    return Lab(pipeline, model, made[0].json(), made[1].json())


@pytest.fixture(scope="session")
def wml_python() -> Path:
    """The python of the notebook client's own venv (tests/vendors.py), reused when complete."""
    return vendor_venv("watson-machine-learning", WML_SPEC)


def lab_predictions(pipeline: Pipeline, frame: pd.DataFrame) -> tuple[list, list]:
    """The pipeline's own labels and probabilities for the lab's rows."""
    return list(pipeline.predict(frame[FIELDS])), pipeline.predict_proba(frame[FIELDS]).tolist()
