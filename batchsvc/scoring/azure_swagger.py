"""An entry script's Swagger 2.0 document, as azmlinfsrv 1.5.1 makes it: ServiceInput and ServiceOutput from
inference-schema's @input_schema/@output_schema (an undecorated run gets {"type": "object", "example": {}}), the
health, score and swagger paths under the service's path. Pure: it gets the loaded run function."""

from collections.abc import Callable

from batchsvc.scoring.azure_run import is_decorated

ERROR = {"description": "The service failed to execute due to an error.",
         "schema": {"$ref": "#/definitions/ErrorResponse"}}
UNDECORATED = {"type": "object", "example": {}}


def swagger(run: Callable, title: str, prefix: str = "") -> dict:
    """The document for a service named `title` whose paths start with `prefix` ("" or "/api/v1/service/name")."""
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
