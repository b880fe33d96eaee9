"""What is captured and where: a deployment's sampled requests (the hook its request log calls), and a batch
job's sample of scored rows. The writing itself is storage/captures.py's, off the request path.
"""

from typing import Any

from batchsvc.storage.capture_table import Captured
from batchsvc.storage.captures import now_ms
from batchsvc.storage.services import Services


def capture_request(svc: Services, deployment: dict, entry: dict, meta: dict | None, given: Any,
                    answer: Any) -> None:
    """Capture one logged request of a deployment if its capture percent draws it: only a hand-over here.
    `given` is the body as the route holds it (raw JSON bytes, a PredictionRequest, or text for a body that
    is no table); `answer` the answer (None when it failed). Headers are never given, so never captured."""
    percent = (deployment.get("capture") or {}).get("percent")
    if not svc.captures.sampled(percent):
        return
    meta = meta or {}
    item = Captured(now_ms(), entry, meta.get("name"), meta.get("features"), given, answer)
    svc.captures.add(svc.data.deployment_captures(deployment["name"]), item, entry.get("rows") or 1)
