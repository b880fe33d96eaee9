"""Software specifications: the one runtime this server scores with (its Python and scikit-learn), listed where
both clients look: /v2/software_specifications (ibm-watsonx-ai) and /ml/v4/list/software_specifications
(ibm-watson-machine-learning). A model stored with any of them is loaded by this server's scikit-learn."""

import platform
import uuid

import sklearn
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from batchsvc.errors import NotFound

PYTHON = ".".join(platform.python_version_tuple()[:2])
SPEC_NAME = f"runtime-24.1-py{PYTHON}"  # the name the lab's clients look up a runtime by
SPEC_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, f"batchsvc:{SPEC_NAME}:scikit-learn-{sklearn.__version__}"))
MODEL_TYPE = "scikit-learn_1.3"  # the newest scikit-learn type Watson ML names; any scikit-learn_1.x is taken


async def list_specs(request: Request) -> Response:
    """Every spec (one), or the one whose ?name= is asked."""
    wanted = request.query_params.get("name")
    found = [spec()] if wanted in (None, SPEC_NAME) else []
    return JSONResponse({"total_results": len(found), "resources": found})


async def get_spec(request: Request) -> Response:
    if request.path_params["spec_id"] != SPEC_ID:
        raise NotFound(f"no software specification {request.path_params['spec_id']!r}; this server "
                                   f"has one, {SPEC_NAME} ({SPEC_ID})", field="software_spec_id")
    return JSONResponse(spec())


async def list_v4(request: Request) -> Response:
    """The older client's list of runtimes with their support state."""
    return JSONResponse({"total_results": 1, "results": [{"id": SPEC_ID, "name": SPEC_NAME, "state": "supported",
                                                           "replacement": ""}]})


def spec() -> dict:
    """The runtime in Watson ML's shape."""
    return {"metadata": {"name": SPEC_NAME, "asset_id": SPEC_ID, "asset_type": "software_specification",
                         "description": f"Python {PYTHON} with scikit-learn {sklearn.__version__}: batchsvc's runtime",
                         "href": f"/v2/software_specifications/{SPEC_ID}", "life_cycle": {"supported": True}},
            "entity": {"software_specification": {
                "type": "base", "display_name": SPEC_NAME, "package_extensions": [],
                "software_configuration": {"platform": {"name": "python", "version": PYTHON},
                                           "included_packages": [{"name": "scikit-learn",
                                                                  "version": sklearn.__version__}]}}}}
