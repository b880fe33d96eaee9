"""Native records in Watson ML's v4 shapes: a deployment, its model as a data asset, a deployment job."""

from batchsvc.api.watson.ids import SPACE_ID, job_uuid, upload_uuid
from batchsvc.api.watson.specs import MODEL_TYPE, SPEC_ID, SPEC_NAME


def deployment(record: dict, model_id: str | None, base_url: str) -> dict:
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
                       "asset": {"id": model_id}, "online": {}, "batch": {},
                       "custom": {"batchsvc_model": record["model"]}, "status": status}}


def asset(version: dict, uid: str) -> dict:
    """A model version as the asset the client reads before it creates a job."""
    name, created = f"{version['name']}@{version['version']}", version.get("created_at")
    return {"href": f"/v2/assets/{uid}?space_id={SPACE_ID}",
            "metadata": {"asset_id": uid, "asset_type": "wml_model", "name": name,
                         "space_id": SPACE_ID, "created_at": created, "usage": {"last_updated_at": created}},
            "entity": {"wml_model": {"type": MODEL_TYPE, "software_spec": {"id": SPEC_ID, "name": SPEC_NAME},
                                     "schemas": {"input": [{"fields": [{"name": f} for f in version.get(
                                         "features") or []]}]}}}}


def pending_model(model_id: str, name: str, description: str) -> dict:
    """A model created by a Watson client whose content has not arrived yet."""
    return {"metadata": {"id": model_id, "name": name, "description": description, "space_id": SPACE_ID},
            "entity": {"type": MODEL_TYPE, "software_spec": {"id": SPEC_ID, "name": SPEC_NAME},
                       "content_import_state": "running"}}


def model(version: dict, uid: str) -> dict:
    """A native model version as Watson ML's v4 model (its name: name@version, the native reference)."""
    created = version.get("created_at")
    return {"metadata": {"id": uid, "name": f"{version['name']}@{version['version']}", "created_at": created,
                         "modified_at": created, "space_id": SPACE_ID, "description": version.get("description", ""),
                         "tags": version.get("tags") or []},
            "entity": {"type": MODEL_TYPE, "software_spec": {"id": SPEC_ID, "name": SPEC_NAME},
                       "content_import_state": "completed", "label_column": "prediction",
                       "schemas": {"input": [{"id": "input", "fields": [{"name": f} for f in version.get(
                           "features") or []]}], "output": []},
                       "custom": {"batchsvc_model": f"{version['name']}@{version['version']}",
                                  "sha256": version["sha256"]}}}


def data_asset(record: dict) -> dict:
    """A named upload as Watson ML's data asset, with its one attachment once its file is there."""
    uid = upload_uuid(record["upload"])
    shown: dict = {"href": f"/v2/assets/{uid}?space_id={SPACE_ID}",
                   "metadata": {"asset_id": uid, "name": record["name"], "description": record.get("description", ""),
                                "asset_type": "data_asset", "space_id": SPACE_ID, "created_at": record["created_at"],
                                "size": int(record.get("bytes") or 0), "asset_state": "available",
                                "usage": {"last_updated_at": record["created_at"]}},
                   "entity": {"data_asset": {"mime_type": "text/csv"}}, "attachments": []}
    if record.get("path"):
        shown["attachments"] = [attachment(record)]
    return shown


def attachment(record: dict) -> dict:
    """A data asset's one attachment: its file (the attachment id is the asset's)."""
    uid = upload_uuid(record["upload"])
    return {"id": uid, "attachment_id": uid, "name": record["name"], "asset_type": "data_asset", "mime": "text/csv",
            "size": int(record.get("bytes") or 0), "is_remote": False, "is_managed": True}


def file_url(record: dict, download: bool = False) -> str:
    """The signed path of an asset's file: PUT to it (url1), or GET it (an attachment's url)."""
    tail = "/content" if download else ""
    return f"/v2/asset_files/{upload_uuid(record['upload'])}{tail}?signature={record['signature']}"


def job(record: dict, deployment_id: str | None) -> dict:
    """A native job as Watson ML's deployment job; an inline job's predictions ride in entity.scoring."""
    scoring: dict = {"status": _status(record)}
    result = record.get("result") or {}
    if result.get("output_asset"):
        uid = upload_uuid(result["output_asset"]["id"])
        scoring["output_data_reference"] = {"type": "data_asset", "connection": {}, "location": {
            "name": result["output_asset"]["name"], "href": f"/v2/assets/{uid}?space_id={SPACE_ID}", "id": uid}}
    elif result.get("predictions"):
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
