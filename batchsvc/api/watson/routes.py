"""The Watson ML routes, as entries of the one endpoint table (kept out of /openapi.json, which documents the
native API): token exchanges are open and check the key themselves; the rest need the native roles."""

from batchsvc.api.routing import Endpoint
from batchsvc.api.watson import deployments, discovery, jobs, tokens
from batchsvc.roles import Role

E, R = Endpoint, Role
DEPLOYMENT_JOBS = "/ml/v4/deployment_jobs"
ENDPOINTS = [
    E("POST", "/icp4d-api/v1/authorize", tokens.authorize, "Cloud Pak for Data token", "watson", R.OPEN),
    E("POST", "/identity/token", tokens.identity_token, "IBM Cloud IAM token", "watson", R.OPEN),
    E("GET", "/ml/wml_services/version", discovery.version, "Service version", "watson", R.OPEN),
    E("GET", "/ml/wml_services/v2/version", discovery.version, "Service version", "watson", R.OPEN),
    E("GET", "/ml/v1/foundation_model_specs", discovery.foundation_model_specs, "None here", "watson", R.OPEN),
    E("GET", "/v2/spaces", discovery.list_spaces, "The one space", "watson", R.READER),
    E("GET", "/v2/spaces/{space_id}", discovery.get_space, "The one space", "watson", R.READER),
    E("GET", "/v2/assets/{asset_id}", deployments.get_asset, "A deployed model", "watson", R.READER),
    E("GET", "/ml/v4/deployments", deployments.list_deployments, "Deployments", "watson", R.READER),
    E("GET", "/ml/v4/deployments/{deployment_id}", deployments.get_deployment, "A deployment", "watson", R.READER),
    E("POST", "/ml/v4/deployments/{deployment_id}/predictions", deployments.predictions, "Score online", "watson",
      R.SCORER),
    E("POST", DEPLOYMENT_JOBS, jobs.create, "Submit a deployment job", "watson", R.SUBMITTER, status=202),
    E("GET", DEPLOYMENT_JOBS, jobs.list_jobs, "Deployment jobs", "watson", R.READER),
    E("GET", DEPLOYMENT_JOBS + "/{job_id}", jobs.get, "A deployment job", "watson", R.READER),
    E("DELETE", DEPLOYMENT_JOBS + "/{job_id}", jobs.delete, "Cancel or remove a job", "watson", R.SUBMITTER,
      status=204),
]
