"""Run by tests/test_watson_client.py inside the ibm-watsonx-ai venv (never the project's): drives the official
Watson ML client against batchsvc and prints one JSON document of what it saw.

argv: url, username, api key, space id, deployment id, a JSON file {"fields": [...], "values": [[...]]}."""

import json
import sys
import time
import warnings

from ibm_watsonx_ai import APIClient, Credentials

POLL_S = 0.2  # the lab polls every 5 s; a test need not
JOB_WAIT_S = 120


def main(url: str, username: str, api_key: str, space_id: str, deployment_id: str, table_file: str) -> dict:
    warnings.simplefilter("ignore")  # verify=False warns on every request
    table = json.load(open(table_file))
    client = APIClient(Credentials(url=url, username=username, api_key=api_key, instance_id="openshift",
                                   version="5.2", verify=False))
    client.set.default_space(space_id)
    payload = {client.deployments.ScoringMetaNames.INPUT_DATA: [table]}
    job = client.deployments.create_job(deployment_id, payload)
    job_id = client.deployments.get_job_id(job)
    states = wait(client, job_id)
    details = client.deployments.get_job_details(job_id)
    listed = client.deployments.list_jobs()
    scored = client.deployments.score(deployment_id, payload)
    to_cancel = client.deployments.get_job_id(client.deployments.create_job(deployment_id, payload))
    canceled = client.deployments.delete_job(to_cancel)
    after_cancel = client.deployments.get_job_status(to_cancel)
    removed = client.deployments.delete_job(job_id, hard_delete=True)
    gone = [j["metadata"]["id"] for j in client.deployments.get_job_details()["resources"]]
    return {"job_id": job_id, "states": states, "predictions": details["entity"]["scoring"]["predictions"],
            "listed": listed.to_dict(orient="records"), "scored": scored, "canceled": canceled,
            "canceled_id": to_cancel, "after_cancel": after_cancel, "removed": removed, "jobs_after": gone}


def wait(client: APIClient, job_id: str) -> list[str]:
    """Poll get_job_status until the job finishes, as the lab's notebook does; the states seen, in order."""
    seen: list[str] = []
    deadline = time.monotonic() + JOB_WAIT_S
    while time.monotonic() < deadline:
        state = client.deployments.get_job_status(job_id)["state"]
        if not seen or seen[-1] != state:
            seen.append(state)
        if state in ("completed", "failed", "canceled"):
            return seen
        time.sleep(POLL_S)
    raise SystemExit(f"job {job_id} did not finish in {JOB_WAIT_S} s: {seen}")


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:7]), default=str))
