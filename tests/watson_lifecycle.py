"""Run by tests/test_watson_lab.py inside the ibm-watsonx-ai venv (never the project's): the lab's lifecycle with
the official client, over data assets: list models, deployments and runtimes, create a data asset from a CSV,
score it with a batch job whose results go to an output data asset, download them; prints what it saw as JSON.

argv: a JSON file {url, username, password, space_id, deployment_id, csv, results}."""

import json
import sys
import time
import warnings

from ibm_watsonx_ai import APIClient, Credentials

POLL_S = 0.5
JOB_WAIT_S = 120


def main(config: dict) -> dict:
    warnings.simplefilter("ignore")  # verify=False warns on every request
    client = APIClient(Credentials(url=config["url"], username=config["username"], password=config["password"],
                                   instance_id="openshift", version="5.2", verify=False))
    client.set.default_space(config["space_id"])
    seen = {"models": client.repository.list_models().to_dict(orient="records"),
            "deployments": client.deployments.list().to_dict(orient="records"),
            "specs": client.software_specifications.list().to_dict(orient="records")}
    asset = client.data_assets.create("lab-batch.csv", config["csv"])
    asset_id = client.data_assets.get_id(asset)
    seen.update(asset_id=asset_id, assets=client.data_assets.list().to_dict(orient="records"),
                asset=client.data_assets.get_details(asset_id))
    job_id = run_job(client, config["deployment_id"], client.data_assets.get_href(asset))
    details = client.deployments.get_job_details(job_id)
    out = details["entity"]["scoring"]["output_data_reference"]
    out_id = out["location"]["id"]
    client.data_assets.download(out_id, config["results"])
    seen.update(job_id=job_id, job=details, output_asset=out_id,
                all_assets=[a["metadata"]["name"] for a in client.data_assets.get_details()["resources"]],
                jobs=[j["metadata"]["id"] for j in client.deployments.get_job_details()["resources"]],
                deleted=client.data_assets.delete(asset_id),
                assets_after=[a["metadata"]["asset_id"] for a in client.data_assets.get_details()["resources"]])
    return seen


def run_job(client: APIClient, deployment_id: str, href: str) -> str:
    """A batch job over the data asset, its results to an output data asset; waits for it to finish."""
    names = client.deployments.ScoringMetaNames
    job = client.deployments.create_job(deployment_id, {
        names.INPUT_DATA_REFERENCES: [{"type": "data_asset", "connection": {}, "location": {"href": href}}],
        names.OUTPUT_DATA_REFERENCE: {"type": "data_asset", "connection": {},
                                      "location": {"name": "lab-results.csv", "description": "results"}}})
    job_id = client.deployments.get_job_uid(job)
    deadline = time.monotonic() + JOB_WAIT_S
    while client.deployments.get_job_status(job_id)["state"] not in ("completed", "failed", "canceled"):
        if time.monotonic() > deadline:
            raise SystemExit(f"job {job_id} did not finish in {JOB_WAIT_S} s")
        time.sleep(POLL_S)
    return job_id


if __name__ == "__main__":
    print(json.dumps(main(json.load(open(sys.argv[1]))), default=str))
