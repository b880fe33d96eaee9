"""Run by tests/test_watson_lab.py inside the ibm-watsonx-ai venv: the lab's "everything done in the UI can be done
programmatically": store_model with a pipeline trained here (the venv has the server's scikit-learn), deploy it
online and batch, score it, run a batch job over a data asset, then delete both deployments and the model.

argv: a JSON file {url, username, password, space_id, csv, suffix, results}; prints JSON of what it saw."""

import json
import sys
import time
import warnings

import pandas as pd
from ibm_watsonx_ai import APIClient, Credentials
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

POLL_S = 0.5
JOB_WAIT_S = 120


def pipeline(frame: pd.DataFrame) -> Pipeline:
    """A scikit-learn pipeline over the lab's 20 fields, as a user of the lab would train one."""
    features = frame.drop(columns=["CustomerID", "Risk"])
    text = [c for c in features if features[c].dtype == object]
    prep = ColumnTransformer([("text", OneHotEncoder(handle_unknown="ignore"), text),
                              ("numbers", StandardScaler(), [c for c in features if c not in text])])
    return Pipeline([("prep", prep), ("model", LogisticRegression(max_iter=1000))]).fit(features, frame["Risk"])


def main(config: dict) -> dict:
    warnings.simplefilter("ignore")
    client = APIClient(Credentials(url=config["url"], username=config["username"], password=config["password"],
                                   instance_id="openshift", version="5.2", verify=False))
    client.set.default_space(config["space_id"])
    frame = pd.read_csv(config["csv"])
    spec = client.software_specifications.get_id_by_name("runtime-24.1-py3.11")
    names = client.repository.ModelMetaNames
    stored = client.repository.store_model(model=pipeline(frame), meta_props={
        names.NAME: f"lab-{config['suffix']}", names.TYPE: "scikit-learn_1.3", names.SOFTWARE_SPEC_ID: spec})
    model_id = client.repository.get_model_id(stored)
    made = client.deployments.ConfigurationMetaNames
    online = client.deployments.create(model_id, {made.NAME: f"lab-online-{config['suffix']}", made.ONLINE: {}})
    batch = client.deployments.create(model_id, {made.NAME: f"lab-batch-{config['suffix']}", made.BATCH: {},
                                                 made.HARDWARE_SPEC: {"name": "S", "num_nodes": 1}})
    online_id, batch_id = client.deployments.get_id(online), client.deployments.get_id(batch)
    rows = frame.drop(columns=["CustomerID", "Risk"]).head(5)
    table = {"fields": list(rows.columns), "values": rows.values.tolist()}
    scored = client.deployments.score(online_id, {client.deployments.ScoringMetaNames.INPUT_DATA: [table]})
    described = client.deployments.update(online_id, {made.DESCRIPTION: "updated by the lab"})
    redeployed = client.deployments.update(online_id, {made.ASSET: {"id": model_id}})
    asset = client.data_assets.create(f"lab-rows-{config['suffix']}.csv", config["rows"])
    job = client.deployments.create_job(batch_id, {client.deployments.ScoringMetaNames.INPUT_DATA_REFERENCES: [
        {"type": "data_asset", "connection": {}, "location": {"href": client.data_assets.get_href(asset)}}]})
    job_id = client.deployments.get_job_id(job)
    deadline = time.monotonic() + JOB_WAIT_S
    while client.deployments.get_job_status(job_id)["state"] not in ("completed", "failed", "canceled"):
        assert time.monotonic() < deadline, f"job {job_id} did not finish in {JOB_WAIT_S} s"
        time.sleep(POLL_S)
    seen = {"model_id": model_id, "model": client.repository.get_model_details(model_id),
            "online": client.deployments.get_details(online_id), "online_id": online_id, "batch_id": batch_id,
            "scoring_href": client.deployments.get_scoring_href(client.deployments.get_details(online_id)),
            "scored": scored, "described": described, "redeployed": redeployed,
            "job": client.deployments.get_job_details(job_id), "table": table}
    seen["deleted"] = [client.deployments.delete(online_id), client.deployments.delete(batch_id),
                       client.repository.delete(model_id)]
    seen["models_after"] = [m["metadata"]["id"] for m in client.repository.get_model_details()["resources"]]
    return seen


if __name__ == "__main__":
    print(json.dumps(main(json.load(open(sys.argv[1]))), default=str))
