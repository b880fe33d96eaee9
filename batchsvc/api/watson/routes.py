"""The Watson ML routes, as entries of the one endpoint table (kept out of /openapi.json, which documents the
native API): token exchanges are open and check the key themselves; the rest need the native roles."""

from batchsvc.api.routing import Endpoint
from batchsvc.api.watson import assets, deployments, discovery, jobs, models, specs, tokens
from batchsvc.roles import Role

E, R = Endpoint, Role
DEPLOYMENT_JOBS = "/ml/v4/deployment_jobs"
ASSET = "/v2/assets/{asset_id}"
ATTACHMENT = ASSET + "/attachments/{attachment_id}"
ENDPOINTS = [
    E("POST", "/icp4d-api/v1/authorize", tokens.authorize, "Cloud Pak for Data token", "watson", R.OPEN),
    E("POST", "/identity/token", tokens.identity_token, "IBM Cloud IAM token", "watson", R.OPEN),
    E("GET", "/ml/wml_services/version", discovery.version, "Service version", "watson", R.OPEN),
    E("GET", "/ml/wml_services/v2/version", discovery.version, "Service version", "watson", R.OPEN),
    E("GET", "/ml/v1/foundation_model_specs", discovery.empty_page, "None here", "watson", R.OPEN),
    E("GET", "/ml/v4/functions", discovery.empty_page, "None here", "watson", R.READER),
    E("GET", "/v2/spaces", discovery.list_spaces, "The one space", "watson", R.READER),
    E("GET", "/v2/spaces/{space_id}", discovery.get_space, "The one space", "watson", R.READER),
    E("GET", "/v1/preauth/validateAuth", tokens.validate_auth, "The lab app's token (HTTP Basic)", "watson", R.OPEN),
    E("GET", "/v2/software_specifications", specs.list_specs, "The runtime", "watson", R.OPEN),
    E("GET", "/v2/software_specifications/{spec_id}", specs.get_spec, "The runtime", "watson", R.OPEN),
    E("GET", "/ml/v4/list/software_specifications", specs.list_v4, "The runtime", "watson", R.OPEN),
    E("GET", "/ml/v4/models", models.list_models, "Model versions", "watson", R.READER),
    E("POST", "/ml/v4/models", models.create_model, "A model awaiting its content", "watson", R.ADMIN, status=201),
    E("PUT", "/ml/v4/models/{model_id}/content", models.put_content, "Its content: a new native version", "watson",
      R.ADMIN, multipart={"content": "tar.gz with the joblib-pickled estimator"}, status=201),
    E("GET", "/ml/v4/models/{model_id}", models.get_model, "A model version", "watson", R.READER),
    E("DELETE", "/ml/v4/models/{model_id}", models.delete_model, "Remove a model version", "watson", R.ADMIN,
      status=204),
    E("POST", "/v2/assets", assets.create, "Create a data asset", "watson", R.SUBMITTER, status=201),
    E("GET", ASSET, deployments.get_asset, "A data asset or deployed model", "watson", R.READER),
    E("DELETE", ASSET, assets.delete, "Remove a data asset (or, admins, a model)", "watson", R.SUBMITTER,
      status=204),
    E("POST", "/v2/asset_types/data_asset/search", assets.search, "Data assets", "watson", R.READER),
    E("POST", ASSET + "/attachments", assets.create_attachment, "A data asset's file slot", "watson", R.SUBMITTER,
      status=201),
    E("GET", ATTACHMENT, assets.get_attachment, "A data asset's file URL", "watson", R.READER),
    E("POST", ATTACHMENT + "/complete", assets.complete_attachment, "File uploaded", "watson", R.SUBMITTER),
    E("PUT", "/v2/asset_files/{asset_id}", assets.put_file, "A data asset's file (signed URL)", "watson", R.OPEN,
      multipart={"file": "the CSV file"}, status=201),
    E("GET", "/v2/asset_files/{asset_id}/content", assets.get_file, "A data asset's file (signed URL)", "watson",
      R.OPEN, media_type="text/csv"),
    E("GET", "/ml/v4/deployments", deployments.list_deployments, "Deployments", "watson", R.READER),
    E("POST", "/ml/v4/deployments", deployments.create, "Deploy a model version", "watson", R.ADMIN, status=202),
    E("DELETE", "/ml/v4/deployments/{deployment_id}", deployments.delete, "Remove a deployment", "watson", R.ADMIN,
      status=204),
    E("GET", "/ml/v4/deployments/{deployment_id}", deployments.get_deployment, "A deployment", "watson", R.READER),
    E("PATCH", "/ml/v4/deployments/{deployment_id}", deployments.update, "Change a deployment's description or "
      "model", "watson", R.ADMIN),
    E("POST", "/ml/v4/deployments/{deployment_id}/predictions", deployments.predictions, "Score online", "watson",
      R.SCORER),
    E("POST", "/v4/deployments/{deployment_id}/predictions", deployments.predictions, "Score online (the lab app's "
      "path)", "watson", R.SCORER),
    E("POST", DEPLOYMENT_JOBS, jobs.create, "Submit a deployment job", "watson", R.SUBMITTER, status=202),
    E("GET", DEPLOYMENT_JOBS, jobs.list_jobs, "Deployment jobs", "watson", R.READER),
    E("GET", DEPLOYMENT_JOBS + "/{job_id}", jobs.get, "A deployment job", "watson", R.READER),
    E("DELETE", DEPLOYMENT_JOBS + "/{job_id}", jobs.delete, "Cancel or remove a job", "watson", R.SUBMITTER,
      status=204),
]
