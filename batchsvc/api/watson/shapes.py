"""Native records in Watson ML's v4 shapes: a deployment, its model as a data asset, a deployment job."""

from batchsvc.api.watson.ids import SPACE_ID, asset_id, job_uuid

MODEL_TYPE = "scikit-learn_1.9"  # what Watson ML calls the model's framework (the client only checks for "do")


def deployment(record: dict, sha256: str | None, base_url: str) -> dict:
    """A native deployment as Watson ML's deployment resource (its id is the deployment's UUID)."""
    dep_id = record["id"]
    status: dict = {"state": record["state"],
                    "online_url": {"url": f"{base_url}/ml/v4/deployments/{dep_id}/predictions"},
                    "serving_urls": [f"{base_url}/ml/v4/deployments/{dep_id}/predictions"]}
    if record.get("reason"):
        status["failure"] = {"errors": [{"code": "model_unavailable", "message": record["reason"]}]}
    return {"metadata": {"id": dep_id, "name": record["name"], "description": record.get("description", ""),
                         "created_at": record["created_at"], "modified_at": record.get("updated_at"),
                         "space_id": SPACE_ID},
            "entity": {"name": record["name"], "space_id": SPACE_ID, "deployed_asset_type": "model",
                       "asset": {"id": asset_id(sha256) if sha256 else None}, "online": {}, "batch": {},
                       "custom": {"batchsvc_model": record["model"]}, "status": status}}


def asset(version: dict) -> dict:
    """A model version as the data asset the client reads before it creates a job."""
    name, created = f"{version['name']}@{version['version']}", version.get("created_at")
    return {"href": f"/v2/assets/{asset_id(version['sha256'])}?space_id={SPACE_ID}",
            "metadata": {"asset_id": asset_id(version["sha256"]), "asset_type": "wml_model", "name": name,
                         "space_id": SPACE_ID, "created_at": created, "usage": {"last_updated_at": created}},
            "entity": {"wml_model": {"type": MODEL_TYPE, "software_spec": {"name": "runtime-24.1-py3.11"},
                                     "schemas": {"input": [{"fields": [{"name": f} for f in version.get(
                                         "features") or []]}]}}}}


def job(record: dict, deployment_id: str | None) -> dict:
    """A native job as Watson ML's deployment job; an inline job's predictions ride in entity.scoring."""
    scoring: dict = {"status": _status(record)}
    result = record.get("result") or {}
    if result.get("predictions"):
        scoring["predictions"] = [result["predictions"]]
    elif result.get("url"):
        scoring["output_data_reference"] = {"type": "url", "location": {"href": result["url"]}}
    return {"metadata": {"id": job_uuid(record["id"]), "name": record.get("name") or record["id"],
                         "created_at": record["created_at"], "space_id": SPACE_ID},
            "entity": {"deployment": {"id": deployment_id}, "space_id": SPACE_ID, "scoring": scoring,
                       "platform_job": {"job_id": record["id"], "run_id": record["id"]},
                       "custom": {"batchsvc_job": f"/v1/jobs/{record['id']}", "progress": record.get("progress")}}}


def _status(record: dict) -> dict:
    """entity.scoring.status: the same five states as the native job, with its times and error."""
    status: dict = {"state": record["status"]}
    if record.get("started_at"):
        status["running_at"] = record["started_at"]
    if record.get("finished_at"):
        status["completed_at"] = record["finished_at"]
    if record.get("error"):
        error = record["error"]
        status["failure"] = {"trace": record["id"], "errors": [{"code": error.get("type", "error"),
                                                                "message": error.get("message", "")}]}
    return status
