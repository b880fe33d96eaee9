"""The OpenAPI 3.1 document, made from the endpoint table and the pydantic models the handlers use."""

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from batchsvc import __version__
from batchsvc.api.routing import Endpoint
from batchsvc.names import NAME, NAME_MAX_CHARS
from batchsvc.roles import Role
from batchsvc.schemas import ErrorResponse, JobRecord
from batchsvc.schemas.deployments import MODEL_REF

REF = "#/components/schemas/{model}"
ERROR_TEXT = {400: "malformed JSON", 401: "missing or unknown API key", 403: "the key's role may not do this",
              404: "not found", 409: "conflicts with the current state", 413: "too large",
              422: "invalid request", 429: "over the deployment's limits (Retry-After says when to retry)",
              504: "past the deployment's timeout_ms",
              503: "Redis does not answer (online predictions: the model cannot be loaded)"}
SECURITY_SCHEMES = {"bearer": {"type": "http", "scheme": "bearer",
                               "description": "an API key, or a token from POST /v1/token, as a bearer token"},
                    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}}
KEYED: list[dict[str, list[str]]] = [{"bearer": []}, {"apiKey": []}]

NEEDS = {Role.KEY: "Any API key: in the header, or as api_key in the body.",
         Role.SCORER: "Needs a key with role scorer, submitter or admin."}
NAME_SCHEMA = {"type": "string", "pattern": NAME.pattern, "maxLength": NAME_MAX_CHARS}
PATH_SCHEMAS = {"name": NAME_SCHEMA, "alias": {**NAME_SCHEMA, "not": {"pattern": "^[0-9]+$"}},
                "version": {"type": "integer", "minimum": 1},
                "ref": {"type": "string", "pattern": MODEL_REF, "maxLength": 2 * NAME_MAX_CHARS + 1,
                        "description": "name (latest version), name@3 or name@alias"}}
BINARY_FIELDS = ("file", "sample")  # multipart fields that carry a file


def document(endpoints: list[Endpoint]) -> dict:
    models = {m for e in endpoints for m in (e.body, e.response) if m is not None} | {ErrorResponse}
    refs, defs = models_json_schema([(m, "validation") for m in sorted(models, key=lambda m: m.__name__)],
                                    ref_template=REF)
    paths: dict = {}
    for e in endpoints:
        paths.setdefault(e.path, {})[e.method.lower()] = _operation(e, refs)
    _link_job_ids(endpoints, paths)
    return {"openapi": "3.1.0", "info": {"title": "batchsvc", "version": __version__},
            "paths": paths, "components": {"schemas": defs.get("$defs", {}), "securitySchemes": SECURITY_SCHEMES}}


def _operation(e: Endpoint, refs: dict) -> dict:
    op: dict = {"summary": e.summary, "tags": [e.tag], "operationId": _operation_id(e),
                "parameters": _parameters(e), "responses": _responses(e, refs), **_security(e.role)}
    if e.body is not None:
        op["requestBody"] = {"required": e.body_required,
                             "content": {"application/json": {"schema": _ref(e.body, refs)}}}
    elif e.multipart is not None:
        props = {k: {"type": "string", "description": v, **({"format": "binary"} if k in BINARY_FIELDS else {})}
                 for k, v in e.multipart.items()}
        op["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "properties": props, "required": ["file"], "additionalProperties": False}}}}
    return op


def _security(role: Role) -> dict:
    """Open routes need no key; the others name the least role (x-role) that may call them."""
    if role is Role.OPEN:
        return {"security": [], "x-role": role.value}
    return {"security": KEYED, "x-role": role.value, "description": NEEDS.get(role, f"Needs a key with role "
                                                                                  f"{role.value} or above.")}

def _link_job_ids(endpoints: list[Endpoint], paths: dict) -> None:
    """Links from the answers that carry a job record to every operation on that job (for clients and fuzzers)."""
    on_job = [e for e in endpoints if "{job_id}" in e.path]
    links = {_operation_id(e): {"operationId": _operation_id(e), "parameters": {"job_id": "$response.body#/id"}}
             for e in on_job}
    for e in endpoints:
        if e.response is JobRecord and e.method == "POST":
            paths[e.path][e.method.lower()]["responses"][str(e.status)]["links"] = links


def _operation_id(e: Endpoint) -> str:
    return f"{e.method.lower()}_{e.path.strip('/').replace('/', '_').replace('{', '').replace('}', '')}"


def _parameters(e: Endpoint) -> list[dict]:
    params = [{"name": p, "in": "path", "required": True, "schema": PATH_SCHEMAS.get(p, {"type": "string"})}
              for p in _path_params(e.path)]
    params += [{"name": n, "in": "query", "required": False, "schema": t if isinstance(t, dict) else {"type": t}}
               for n, t in e.query.items()]
    return params


def _path_params(path: str) -> list[str]:
    return [part[1:-1].split(":")[0] for part in path.split("/") if part.startswith("{")]


def _responses(e: Endpoint, refs: dict) -> dict:
    if e.response is not None:
        ok = {"description": "OK", "content": {"application/json": {"schema": _ref(e.response, refs)}}}
    elif e.media_type:
        types = (e.media_type,) if isinstance(e.media_type, str) else e.media_type
        ok = {"description": "OK", "content": {t: {"schema": {"type": "string"}} for t in types}}
    else:
        ok = {"description": "OK"}
    out = {str(e.status): ok}
    keyed = () if e.role is Role.OPEN else (401, 403)
    for code in (*e.errors, *keyed, 503):
        out[str(code)] = {"description": ERROR_TEXT[code],
                          "content": {"application/json": {"schema": _ref(ErrorResponse, refs)}}}
    return out


def _ref(model: type[BaseModel], refs: dict) -> dict:
    return refs[(model, "validation")]
