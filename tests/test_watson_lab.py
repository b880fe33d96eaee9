"""The IBM lab with its own clients, unchanged: ibm-watsonx-ai over models, deployments, runtimes and data assets
(a batch job reading one and writing its results to another), and the lab's notebook cell by cell with both
ibm-watson-machine-learning (what it installs) and ibm-watsonx-ai, against the lab's real German credit data."""

import io
import json
import subprocess
import uuid

import numpy as np
import pandas as pd
import pytest
from harness import ROOT
from watson_lab import BATCH_SET, GERMAN_CREDIT, lab_predictions

from batchsvc.api.watson.ids import SPACE_ID, SPACE_NAME

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


def run_notebook(python, client: str, watson, lab, tmp_path) -> dict:
    """The lab's notebook, its cells filled in as a user does, run by `client`'s venv; what it ended with."""
    config = {"url": watson.url, "username": "alice", "password": watson.key, "space_name": SPACE_NAME,
              "deployment_name": lab.batch["name"], "client": client, "results": str(tmp_path / "results.csv")}
    (tmp_path / "config.json").write_text(json.dumps(config))
    done = subprocess.run([str(python), str(ROOT / "tests" / "watson_notebook.py"), str(tmp_path / "config.json")],
                          capture_output=True, text=True, timeout=CLIENT_TIMEOUT_S, cwd=tmp_path)
    assert done.returncode == 0, (done.stdout[-3000:], done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("client", ["ibm_watson_machine_learning", "ibm_watsonx_ai"])
def test_the_labs_notebook_runs_cell_by_cell_with_both_clients(client, watson_python, wml_python, watson, lab,
                                                                tmp_path):
    # Given the lab's batch deployment, When the notebook's cells run with the client
    python = wml_python if client == "ibm_watson_machine_learning" else watson_python
    seen = run_notebook(python, client, watson, lab, tmp_path)
    # Then it found the space and the deployment by name, and its inline job completed
    assert seen["space_id"] == SPACE_ID and seen["deployment_uid"] == lab.batch["id"]
    assert seen["state"] == "completed" and seen["results_asset"].startswith("batchres_")
    # And the results asset it downloaded holds the batch set's rows with the pipeline's own predictions
    batch_set = pd.read_csv(BATCH_SET)
    results = pd.read_csv(tmp_path / "results.csv")
    assert len(results) == seen["batch_rows"] == len(batch_set)
    pd.testing.assert_frame_equal(results[batch_set.columns], batch_set)
    labels, probabilities = lab_predictions(lab.pipeline, batch_set)
    assert list(results["prediction"]) == labels
    assert np.allclose([json.loads(p) for p in results["probability"]], probabilities, rtol=0, atol=ENGINE_TOLERANCE)


def test_store_model_deploy_score_and_a_job_over_a_data_asset_from_the_client(watson_python, watson, secure,
                                                                              tmp_path):
    # Given the lab's data, and rows of it as a CSV file
    rows = pd.read_csv(GERMAN_CREDIT).head(ASSET_ROWS).drop(columns=["Risk"])
    rows.to_csv(tmp_path / "rows.csv", index=False)
    suffix = uuid.uuid4().hex[:6]
    config = {"url": watson.url, "username": "admin", "password": secure.keys["admin"], "space_id": SPACE_ID,
              "csv": str(GERMAN_CREDIT), "rows": str(tmp_path / "rows.csv"), "suffix": suffix}
    (tmp_path / "config.json").write_text(json.dumps(config))
    # When the client stores a pipeline, deploys it online and batch, scores, and runs a job over a data asset
    done = subprocess.run([str(watson_python), str(ROOT / "tests" / "watson_store.py"), str(tmp_path / "config.json")],
                          capture_output=True, text=True, timeout=CLIENT_TIMEOUT_S, cwd=tmp_path)
    assert done.returncode == 0, (done.stdout[-3000:], done.stderr[-3000:])
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    # Then the model became a native version, deployed and ready
    assert seen["model"]["metadata"]["id"] == seen["model_id"]
    assert seen["model"]["metadata"]["name"] == f"lab-{suffix}@1"
    assert seen["online"]["entity"]["status"]["state"] == "ready"
    assert seen["scoring_href"].endswith(f"/ml/v4/deployments/{seen['online_id']}/predictions")
    # And deployments.update changed its description, then redeployed it on the model, ready again
    assert seen["described"]["metadata"]["description"] == "updated by the lab"
    assert seen["redeployed"]["entity"]["asset"]["id"] == seen["model_id"]
    assert seen["redeployed"]["entity"]["status"]["state"] == "ready"
    # And the job over the data asset completed: its native results are the rows' scores, the first five
    # equal to what online scoring answered for them
    job = seen["job"]
    assert job["entity"]["scoring"]["status"]["state"] == "completed", job
    with secure.client("admin") as admin:
        results = admin.get(job["entity"]["custom"]["batchsvc_job"] + "/results?format=csv")
    frame = pd.read_csv(io.StringIO(results.text))
    assert len(frame) == ASSET_ROWS
    (scored,) = seen["scored"]["predictions"]
    assert [label for label, _ in scored["values"]] == list(frame["prediction"][:5])
    assert np.allclose([p for _, p in scored["values"]], frame.filter(like="probability_")[:5].to_numpy(),
                       rtol=0, atol=ENGINE_TOLERANCE)
    # And the deployments and the model were deleted
    assert seen["deleted"] == ["SUCCESS"] * 3 and seen["model_id"] not in seen["models_after"]
