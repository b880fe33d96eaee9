"""The Azure ML routes, as entries of the one endpoint table (kept out of /openapi.json, which documents the native
API): the scoring URI, its swagger and token check their credentials themselves (a deployment's own key or token,
or an API key that may score); listing and regenerating keys is for admins."""

from batchsvc.api.azure import keys, score, service
from batchsvc.api.azure.paths import SCORING, SERVICE, SWAGGER
from batchsvc.api.routing import Endpoint
from batchsvc.roles import Role

E, R = Endpoint, Role
AT = "{deployment}"
ENDPOINTS = [
    E("POST", SCORING.format(name=AT), score.score, "Score with the entry script (raw body to run)", "azure", R.OPEN),
    E("GET", SCORING.format(name=AT), score.score, "Score with the query string's values", "azure", R.OPEN),
    E("OPTIONS", SCORING.format(name=AT), score.score, "200, empty (a @rawhttp run answers)", "azure", R.OPEN),
    E("GET", SWAGGER.format(name=AT), service.swagger_json, "The entry script's Swagger", "azure", R.OPEN),
    E("GET", SERVICE.format(name=AT), service.view, "The deployment as Azure shows it", "azure", R.READER),
    E("POST", "/v1/deployments/{name}/listkeys", keys.list_keys, "Primary and secondary key", "azure", R.ADMIN),
    E("POST", "/v1/deployments/{name}/regenerateKeys", keys.regenerate, "Replace one key", "azure", R.ADMIN),
    E("POST", "/v1/deployments/{name}/token", keys.token, "A token for this deployment", "azure", R.OPEN),
]
