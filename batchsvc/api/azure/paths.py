"""The Azure ML URIs of a deployment (the AKS services' shape), for the records that show them."""

SERVICE = "/api/v1/service/{name}"
SCORING = SERVICE + "/score"
SWAGGER = SERVICE + "/swagger.json"
PREFIX = "/api/v1/service/"  # the paths Azure's clients call: errors there read {"message": ...}


def scoring_uri(base_url: str, name: str) -> str:
    return base_url.rstrip("/") + SCORING.format(name=name)


def swagger_uri(base_url: str, name: str) -> str:
    return base_url.rstrip("/") + SWAGGER.format(name=name)
