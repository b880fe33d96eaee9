"""A deployment's rollout: its traffic split and shadow checked at create and PATCH, its history of changes
(GET /v1/deployments/{name}/history) and its shadow comparison (GET /v1/deployments/{name}/shadow).

`model` and `traffic` relate so: a deployment has either one `model` (served alone) or a `traffic` split, whose
heaviest reference `model` then shows (batch jobs naming the deployment use it); a PATCH of `model` clears the
split, a PATCH of `traffic` sets `model` to its heaviest reference, `traffic: null` keeps `model` alone.
"""

import re

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from batchsvc.api.auth import principal
from batchsvc.api.params import int_param
from batchsvc.api.state import services
from batchsvc.clock import iso
from batchsvc.errors import InvalidRequest, ModelNotFound
from batchsvc.jobs import shadow as shadows
from batchsvc.jobs.routing import WEIGHT_TOTAL, heaviest
from batchsvc.schemas.deployments import MODEL_REF, DeploymentHistoryList, ShadowComparison
from batchsvc.storage.history import HISTORY_ENTRIES, DeploymentHistory, changes
from batchsvc.storage.services import Services
from batchsvc.storage.shadow_stats import ShadowStats

HISTORY_DEFAULT = 100
RECORDED = ["model", "traffic", "shadow", "description", "engine", "label_field", "limits"]  # what history compares


def check_refs(svc: Services, fields: dict) -> dict:
    """The record fields of a create or PATCH body's model, traffic and shadow, each reference resolved now:
    a bad one is named (`traffic.<ref>`, `shadow.model`)."""
    if fields.get("model") and fields.get("traffic"):
        raise InvalidRequest("give model (one reference) or traffic (a split), not both", field="traffic")
    out = dict(fields)
    if fields.get("traffic"):
        out.update(traffic=_checked_traffic(svc, fields["traffic"]), model=heaviest(fields["traffic"]))
    elif fields.get("model"):
        _resolve(svc, fields["model"], "model")
        out["traffic"] = None
    if fields.get("shadow"):
        _resolve(svc, fields["shadow"]["model"], "shadow.model")
    return out


def _checked_traffic(svc: Services, traffic: dict[str, int]) -> dict[str, int]:
    for ref, weight in traffic.items():
        if not re.match(MODEL_REF, ref):
            raise InvalidRequest(f"{ref!r} is not a model reference (name, name@3 or name@alias)",
                                 field=f"traffic.{ref}")
        if not 0 <= weight <= WEIGHT_TOTAL:
            raise InvalidRequest(f"weight {weight} of {ref!r} is not within 0..{WEIGHT_TOTAL}", field=f"traffic.{ref}")
        _resolve(svc, ref, f"traffic.{ref}")
    if sum(traffic.values()) != WEIGHT_TOTAL:
        raise InvalidRequest(f"the weights sum to {sum(traffic.values())}, not {WEIGHT_TOTAL}", field="traffic")
    return dict(traffic)


def _resolve(svc: Services, ref: str, field: str) -> None:
    try:
        svc.registry.resolve(ref)
    except ModelNotFound as exc:
        raise ModelNotFound(exc.message, model=ref, field=field) from None


def record_change(request: Request, before: dict, after: dict) -> None:
    """One history entry for a PATCH (who, when, each field from and to); a shadow changed starts its
    comparison from zero."""
    svc = services(request)
    changed = changes(before, after, RECORDED)
    if "shadow" in changed:
        ShadowStats(svc.redis, svc.keys).reset(after["name"], (after.get("shadow") or {}).get("model"))
    if changed:
        entry = {"time": iso(), "by": principal(request).name, "changes": changed}
        DeploymentHistory(svc.redis, svc.keys).add(after["name"], entry)


async def history(request: Request) -> Response:
    svc, name = services(request), request.path_params["name"]
    limit = int_param(request, "limit", HISTORY_DEFAULT, 1, HISTORY_ENTRIES) or HISTORY_DEFAULT
    await run_in_threadpool(svc.deployments.spec, name)  # 404 for a deployment that does not exist
    entries = await run_in_threadpool(DeploymentHistory(svc.redis, svc.keys).list, name, limit)
    return JSONResponse(DeploymentHistoryList.model_validate({"history": entries}).model_dump(mode="json",
                                                                                               by_alias=True))


async def shadow_comparison(request: Request) -> Response:
    """The live comparison of the deployment's shadow with the answers given (this process's latest first)."""
    svc, name = services(request), request.path_params["name"]
    record = await run_in_threadpool(svc.deployments.spec, name)
    await run_in_threadpool(shadows.mirror(svc, request.app.state.model_cache).stats.flush)
    totals = await run_in_threadpool(ShadowStats(svc.redis, svc.keys).totals, name)
    return JSONResponse(ShadowComparison.model_validate(shadows.comparison(record, totals)).model_dump(mode="json"))
