"""The IBM lab with its own clients, unchanged: ibm-watsonx-ai over models, deployments, runtimes and data assets
(a batch job reading one and writing its results to another), against the lab's real German credit data."""

import json
import subprocess
import uuid

import numpy as np
import pandas as pd
from harness import ROOT
from watson_lab import GERMAN_CREDIT, lab_predictions

from batchsvc.api.watson.ids import SPACE_ID

CLIENT_TIMEOUT_S = 300
ASSET_ROWS = 300
ENGINE_TOLERANCE = 1e-5  # a verified compiled engine's probabilities are within this of scikit-learn's


def run_lifecycle(python, watson, lab, tmp_path) -> tuple[dict, pd.DataFrame]:
    """The client's lifecycle over a data asset of the lab's rows (CustomerID first, no Risk); what it saw."""
    frame = pd.read_csv(GERMAN_CREDIT).head(ASSET_ROWS).drop(columns=["Risk"])
    frame.to_csv(tmp_path / "batch.csv", index=False)
    config = {"url": watson.url, "username": "alice", "password": watson.key, "space_id": SPACE_ID,
              "deployment_id": lab.batch["id"], "csv": str(tmp_path / "batch.csv"),
              "results": str(tmp_path / "results.csv")}
    (tmp_path / "config.json").write_text(json.dumps(config))
    done = subprocess.run([str(python), str(ROOT / "tests" / "watson_lifecycle.py"), str(tmp_path / "config.json")],
                          capture_output=True, text=True, timeout=CLIENT_TIMEOUT_S, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1]), frame


def test_the_watsonx_client_scores_a_data_asset_into_a_results_asset(watson_python, watson, lab, tmp_path):
    # Given the lab's pipeline deployed for batch, When the client runs the lab's lifecycle over data assets
    seen, frame = run_lifecycle(watson_python, watson, lab, tmp_path)
    # Then it listed the model version, both deployments and the runtime
    assert f"{lab.model}@1" in {m["NAME"] for m in seen["models"]}
    assert {lab.online["id"], lab.batch["id"]} <= {d["ID"] for d in seen["deployments"]}
    assert [s["NAME"] for s in seen["specs"]] == ["runtime-24.1-py3.11"]
    # And its data asset was listed and described
    assert seen["asset_id"] in {a["ASSET_ID"] for a in seen["assets"]}
    assert seen["asset"]["metadata"]["name"] == "lab-batch.csv"
    # And the job completed, its results an asset named as asked: the input's fields, prediction, probability
    assert seen["job"]["entity"]["scoring"]["status"]["state"] == "completed"
    assert "lab-results.csv" in seen["all_assets"] and seen["job_id"] in seen["jobs"]
    results = pd.read_csv(tmp_path / "results.csv")
    assert list(results.columns) == [*frame.columns, "prediction", "probability"]
    labels, probabilities = lab_predictions(lab.pipeline, frame)
    assert list(results["prediction"]) == labels
    assert np.allclose([json.loads(p) for p in results["probability"]], probabilities, rtol=0, atol=ENGINE_TOLERANCE)
    # And the deleted input asset is gone
    assert seen["deleted"] == "SUCCESS" and seen["asset_id"] not in seen["assets_after"]
    assert uuid.UUID(seen["output_asset"])
