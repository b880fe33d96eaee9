"""The Open Inference Protocol's routes, as entries of the one endpoint table (kept out of /openapi.json, which
documents the native API): health and server metadata are open; a model's routes need a key that may score."""

from batchsvc.api.oip import handlers
from batchsvc.api.routing import Endpoint
from batchsvc.roles import Role

E, R = Endpoint, Role
MODEL, VERSION = "/v2/models/{name}", "/v2/models/{name}/versions/{version}"
ENDPOINTS = [
    E("GET", "/v2/health/live", handlers.live, "The server is live", "oip", R.OPEN),
    E("GET", "/v2/health/ready", handlers.ready, "The server is ready (Redis answers)", "oip", R.OPEN),
    E("GET", "/v2", handlers.server_metadata, "The server's name and version", "oip", R.OPEN),
    *(E("GET", path, handlers.model_metadata, "A model's inputs and outputs", "oip", R.SCORER)
      for path in (MODEL, VERSION)),
    *(E("GET", path + "/ready", handlers.model_ready, "The model loads", "oip", R.SCORER) for path in (MODEL, VERSION)),
    *(E("POST", path + "/infer", handlers.infer, "Score tensors", "oip", R.SCORER) for path in (MODEL, VERSION)),
]
