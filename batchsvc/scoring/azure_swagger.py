"""An entry script's Swagger document, as azmlinfsrv 1.5.1 serves it for `?version=` 2 (the default), 3 or 3.1: a
swagger.json, swagger2.json, swagger3.json or swagger3.1.json the folder ships, else one generated: ServiceInput and
ServiceOutput from inference-schema's @input_schema/@output_schema (an undecorated run gets {"type": "object",
"example": {}}), the health, score and swagger paths under the service's path. Swagger 2.0 is made here; OpenAPI 3
from azmlinfsrv's own template (azureml-inference-server-http, the `azure` extra). Pure: it gets the run function and
the folder."""

import json
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from batchsvc.scoring.azure_rawhttp import EXTRA, VENDOR
from batchsvc.scoring.azure_run import is_decorated

ERROR = {"description": "The service failed to execute due to an error.",
         "schema": {"$ref": "#/definitions/ErrorResponse"}}
UNDECORATED = {"type": "object", "example": {}}


VERSIONS = {"2": "2", "2.0": "2", "3": "3", "3.0": "3", "3.1": "3.1"}  # ?version= -> the document (azmlinfsrv's)
SHIPPED = {"2": ("swagger.json", "swagger2.json"), "3": ("swagger3.json",), "3.1": ("swagger3.1.json",)}
SERVICE_VERSION = "1.0"  # azmlinfsrv's default SERVICE_VERSION


class SwaggerError(Exception):
    """No such document: azmlinfsrv's 404 message."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def document(run: Callable, title: str, prefix: str, version: str | None, folder: Path | None) -> dict:
    """The document `?version=` asks for (2 when absent): the folder's own, else generated; SwaggerError when the
    version is not one azmlinfsrv knows or none can be had for this script."""
    made = {doc: _shipped(folder, doc) or _generated(doc, run, title, prefix) for doc in SHIPPED}
    supported = ", ".join(sorted(doc for doc, found in made.items() if found is not None))
    asked = version or "2"
    if asked not in VERSIONS:
        raise SwaggerError(f"Swagger version [{asked}] is not valid. Supported versions: [{supported}].")
    found = made[VERSIONS[asked]]
    if found is None:
        needs = "" if VERSIONS[asked] == "2" or _template() else f" (OpenAPI 3 needs {VENDOR}: install {EXTRA!r})"
        raise SwaggerError(f"Swagger version [{asked}] is not supported for the scoring script. Supported swagger "
                           f"versions: [{supported}].{needs}")
    return found


def _shipped(folder: Path | None, doc: str) -> dict | None:
    """The folder's own document for this version, if it ships one (read as azmlinfsrv reads it)."""
    if folder is None:
        return None
    for name in SHIPPED[doc]:
        path = folder / name
        if path.is_file():
            return json.loads(path.read_text(encoding="utf-8"))
    return None


def _generated(doc: str, run: Callable, title: str, prefix: str) -> dict | None:
    """The generated document, None when run's decorators do not support this version (or, for OpenAPI 3, when
    azmlinfsrv's template is not installed)."""
    from inference_schema.schema_util import get_supported_versions
    aliases = {alias for alias, target in VERSIONS.items() if target == doc}
    if not aliases & set(get_supported_versions(run)):
        return None
    if doc == "2":
        return swagger(run, title, prefix)
    template = _template()
    if template is None:
        return None
    filled = json.loads(template.replace("$SERVICE_NAME$", title).replace("$SERVICE_VERSION$", SERVICE_VERSION)
                        .replace("$PATH_PREFIX$", prefix))
    filled["components"]["schemas"]["ServiceInput"], filled["components"]["schemas"]["ServiceOutput"] = _schemas(run)
    if doc == "3.1":
        filled["openapi"] = "3.1.0"
    return filled


def _template() -> str | None:
    """azmlinfsrv's OpenAPI 3 template, from its installed package (None without it)."""
    try:
        files = resources.files("azureml_inference_server_http.server")
    except ImportError:
        return None
    return (files / "swagger3_template.json").read_text(encoding="utf-8")


def swagger(run: Callable, title: str, prefix: str = "") -> dict:
    """The Swagger 2.0 document for a service named `title` whose paths start with `prefix` ("" or
    "/api/v1/service/name")."""
    inputs, outputs = _schemas(run)
    return {
        "swagger": "2.0",
        "info": {"title": title, "description": f"API specification for the Azure Machine Learning service {title}",
                 "version": "1.0"},
        "schemes": ["https"], "consumes": ["application/json"], "produces": ["application/json"],
        "securityDefinitions": {"Bearer": {"type": "apiKey", "name": "Authorization", "in": "header",
                                           "description": "For example: Bearer abc123"}},
        "paths": {
            f"{prefix}/": {"get": {"operationId": "ServiceHealthCheck", "responses": {"200": {
                "description": "Healthy", "schema": {"type": "string"}}, "default": ERROR}}},
            f"{prefix}/score": {"post": {
                "operationId": "RunMLService", "security": [{"Bearer": []}],
                "parameters": [{"name": "serviceInputPayload", "in": "body",
                                "schema": {"$ref": "#/definitions/ServiceInput"}}],
                "responses": {"200": {"description": "The prediction output",
                                      "schema": {"$ref": "#/definitions/ServiceOutput"}}, "default": ERROR}}},
            f"{prefix}/swagger.json": {"get": {"operationId": "GetSwaggerSpec", "responses": {"200": {
                "description": "The Swagger specification.", "schema": {"type": "string"}}, "default": ERROR}}},
        },
        "definitions": {"ServiceInput": inputs, "ServiceOutput": outputs,
                        "ErrorResponse": {"type": "object", "properties": {"message": {"type": "string"}}}},
    }


def _schemas(run: Callable) -> tuple[dict, dict]:
    """ServiceInput and ServiceOutput from inference-schema's decorators, as azmlinfsrv reads them."""
    if not is_decorated(run):
        return dict(UNDECORATED), dict(UNDECORATED)
    from inference_schema.schema_util import get_input_schema, get_output_schema
    return get_input_schema(run), get_output_schema(run)
