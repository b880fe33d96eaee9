"""Which deployment or model version a protocol model name means, and what its metadata says.

`/v2/models/{name}` is the deployment of that name if there is one, else the model reference `name` (its latest
version; `name@alias` and `name@3` work too); `/v2/models/{name}/versions/{v}` is always the model version
`name@v` (a version number or an alias), as the protocol's versions are a model's.
"""

from batchsvc.api.oip.tensors import BYTES, datatype_of
from batchsvc.errors import DeploymentNotFound, ModelNotFound, ModelUnavailable
from batchsvc.jobs.model_cache import ModelCache
from batchsvc.jobs.online import check_deployment, load_model, resolve
from batchsvc.scoring.modelinfo import ModelInfo
from batchsvc.storage.services import Services

PLATFORM = "batchsvc"  # what model metadata names as the platform serving it


def target(svc: Services, name: str, version: str | None) -> str | dict:
    """A deployment's record, or a model reference, as score_online takes them; 404 when the name means neither."""
    if version is not None:
        return f"{name}@{version}"
    try:
        return svc.deployments.spec(name)
    except DeploymentNotFound:
        pass
    try:
        svc.registry.resolve(name)
    except ModelNotFound:
        raise ModelNotFound(f"no deployment or model named {name!r}", model=name) from None
    return name


def ready(svc: Services, cache: ModelCache, name: str, version: str | None) -> bool:
    """Whether the version the name means now loads and passes its checksum (a deployment records the answer)."""
    found = target(svc, name, version)
    if isinstance(found, dict):
        return check_deployment(svc, cache, found["name"])["state"] == "ready"
    meta = resolve(svc, found)  # a version that does not exist is a 404, not "not ready"
    try:
        load_model(cache, meta)
    except ModelUnavailable:
        return False
    return True


def metadata(svc: Services, cache: ModelCache, name: str, version: str | None) -> dict:
    """The model's metadata: an input per feature with its datatype, its outputs, the version served now."""
    meta = resolve(svc, target(svc, name, version))
    load_model(cache, meta)
    info = cache.info(meta)
    numeric = set(info.numeric_features)
    inputs = [{"name": f, "datatype": "FP64" if f in numeric else BYTES, "shape": [-1]} for f in info.features]
    return {"name": name, "versions": [str(meta["version"])], "platform": PLATFORM, "inputs": inputs,
            "outputs": _outputs(meta, info)}


def _outputs(meta: dict, info: ModelInfo) -> list[dict]:
    """predict (and predict_proba for a classifier that has it); a code model's declared outputs as text."""
    if meta.get("outputs"):
        return [{"name": o, "datatype": BYTES, "shape": [-1]} for o in meta["outputs"]]
    found = [{"name": "predict", "datatype": datatype_of(info.classes) if info.classes else "FP64", "shape": [-1]}]
    if info.has_proba:
        found.append({"name": "predict_proba", "datatype": "FP64", "shape": [-1, len(info.classes or ())]})
    return found
