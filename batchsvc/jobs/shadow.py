"""Shadow scoring: a deployment's `shadow` version scores a share of its requests off the request path.

After the answer is made, `Mirror.offer` hands the request to a small pool of SHADOW_THREADS threads per process;
when SHADOW_QUEUE requests already wait, it is dropped and counted instead: an answer never waits for the shadow
and never fails with it (the shadow's scoring does share the process's CPU with the requests that follow:
scripts/bench_rollout.py measures what it adds). The shadow's thread scores the same body with the shadow
version (by the fast path when the primary's answer came from it and the shadow's engine takes it, else the full
path), compares both answers (`figures`) and gathers the figures in process (storage/shadow_stats.py writes them
to Redis in batches).

Hook for captured payloads: `add_listener(fn)` registers fn(pair: ShadowPair), called in the shadow's thread
with both answers (the primary's and the shadow's, or the shadow's error) for every shadowed request; a listener
that raises is logged and does not stop the others.
"""

import logging
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from batchsvc.jobs.model_cache import ModelCache
from batchsvc.jobs.online import Scored, score_online
from batchsvc.jobs.online_fast import fast_scored
from batchsvc.schemas import PredictionRequest
from batchsvc.storage.services import Services
from batchsvc.storage.shadow_stats import ShadowStats

log = logging.getLogger(__name__)

SHADOW_THREADS = 2  # shadow requests scored at once per API process
SHADOW_QUEUE = 32  # shadow requests waiting per API process; past it a request is not shadowed (counted: dropped)


@dataclass
class ShadowPair:
    """One shadowed request: the deployment, the shadow reference, both answers (or the shadow's error)."""
    deployment: str
    shadow_ref: str
    body: PredictionRequest | bytes  # as the primary got it: parsed, or the raw JSON of a fast-path request
    primary: Scored
    shadow: Scored | None
    error: str | None
    ms: float
    capture: str | None = None  # the capture's request id when the answer given was captured


_listeners: list[Callable[[ShadowPair], None]] = []


def add_listener(listener: Callable[[ShadowPair], None]) -> None:
    """Call `listener` with every shadowed request's pair of answers (in the shadow's thread)."""
    _listeners.append(listener)


def remove_listener(listener: Callable[[ShadowPair], None]) -> None:
    """Stop calling `listener` (an app that stops takes its own away)."""
    if listener in _listeners:
        _listeners.remove(listener)


class Mirror:
    """The shadow pool of one API process and its comparison figures."""

    def __init__(self, svc: Services, cache: ModelCache):
        self.svc, self.cache = svc, cache
        self.stats = ShadowStats(svc.redis, svc.keys).start()
        self._pool = ThreadPoolExecutor(SHADOW_THREADS, thread_name_prefix="shadow")
        self._slots = threading.BoundedSemaphore(SHADOW_THREADS + SHADOW_QUEUE)

    def offer(self, record: dict, body: PredictionRequest | bytes, primary: Scored, capture: str | None = None) -> None:
        """Shadow this answered request if the deployment has a shadow, the request was not answered by the shadow's
        reference itself (pinned or routed to it: it would be compared with itself), and the draw takes it; never
        blocks."""
        shadow = record.get("shadow")
        if not shadow or record.get("routed") == shadow["model"] or random.random() * 100 >= shadow["percent"]:
            return
        if not self._slots.acquire(blocking=False):
            self.stats.add(record["name"], shadow["model"], {"dropped": 1}, {})
            return
        try:
            self._pool.submit(self._run, record, shadow["model"], body, primary, capture)
        except RuntimeError:  # the pool is shut down: the process is stopping
            self._slots.release()

    def stop(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.stats.stop()

    def _run(self, record: dict, ref: str, body: PredictionRequest | bytes, primary: Scored,
             capture: str | None) -> None:
        try:
            pair = self._score(record, ref, body, primary)
            pair.capture = capture
            sums, maxima = figures(pair, self._classes(primary))
            self.stats.add(record["name"], ref, sums, maxima)
            for listener in list(_listeners):
                try:
                    listener(pair)
                except Exception:
                    log.exception("shadow listener %r failed", listener)
        except Exception:
            log.exception("shadow of deployment %s failed outside its model", record["name"])
        finally:
            self._slots.release()

    def _score(self, record: dict, ref: str, body: PredictionRequest | bytes, primary: Scored) -> ShadowPair:
        """The shadow's answer to the same body (or its error), timed: the fast path's when it takes a raw body,
        as the primary's, else the full path's."""
        started, target = time.perf_counter(), {**record, "routed": ref}
        shadow, error = None, None
        try:
            shadow = fast_scored(self.svc, self.cache, target, body) if isinstance(body, bytes) else None
            if shadow is None:
                parsed = body if isinstance(body, PredictionRequest) else PredictionRequest.model_validate_json(body)
                shadow = score_online(self.svc, self.cache, target, parsed)
        except Exception as exc:  # the shadow's failure is counted, never raised
            error = f"{type(exc).__name__}: {getattr(exc, 'message', exc)}"
        ms = (time.perf_counter() - started) * 1000
        return ShadowPair(record["name"], ref, body, primary, shadow, error, ms)

    def _classes(self, primary: Scored) -> list | None:
        try:
            return self.cache.info(primary.meta).classes
        except Exception:
            return None


def figures(pair: ShadowPair, classes: list | None) -> tuple[dict[str, float], dict[str, float]]:
    """One request's sums and maxima: requests, rows and labels agreeing, |Δp| per class, the shadow's latency
    and errors."""
    sums: dict[str, float] = {"requests": 1, "ms_sum": pair.ms}
    maxima: dict[str, float] = {"ms_max": pair.ms}
    if pair.shadow is None:
        sums["errors"] = 1
        return sums, maxima
    rows = list(zip(_rows(pair.primary.body), _rows(pair.shadow.body)))
    sums.update(compared=1, rows=len(rows), agree=sum(1 for a, b in rows if a[0] == b[0]))
    for a, b in rows:
        if len(a) > 1 and len(b) > 1 and isinstance(a[1], list) and isinstance(b[1], list) and len(a[1]) == len(b[1]):
            for k, (p, q) in enumerate(zip(a[1], b[1])):
                label = str(classes[k]) if classes and len(classes) == len(a[1]) else str(k)
                delta = abs(float(p) - float(q))
                sums[f"dp_sum:{label}"] = sums.get(f"dp_sum:{label}", 0.0) + delta
                maxima[f"dp_max:{label}"] = max(delta, maxima.get(f"dp_max:{label}", 0.0))
    return sums, maxima


def comparison(record: dict, totals: dict) -> dict:
    """The comparison shown for the deployment's shadow, from the stored totals of that shadow reference."""
    shadow = record.get("shadow")
    if not shadow or totals.get("model") != shadow["model"]:
        totals = {}
    rows, requests = totals.get("rows", 0), totals.get("requests", 0)
    classes = sorted(k.split(":", 1)[1] for k in totals if k.startswith("dp_sum:"))
    return {"model": shadow and shadow["model"], "percent": shadow and shadow["percent"],
            "requests": int(requests), "compared": int(totals.get("compared", 0)), "rows": int(rows),
            "errors": int(totals.get("errors", 0)), "dropped": int(totals.get("dropped", 0)),
            "label_agreement": totals.get("agree", 0) / rows if rows else None,
            "abs_delta_p": {c: {"mean": totals[f"dp_sum:{c}"] / rows, "max": totals.get(f"dp_max:{c}", 0.0)}
                            for c in classes},
            "latency_ms": {"mean": totals["ms_sum"] / requests, "max": totals.get("ms_max")} if requests else None}


def _rows(body: dict) -> list[list]:
    return [row for table in body["predictions"] for row in table["values"]]


_mirrors: dict[int, Mirror] = {}
_mirrors_lock = threading.Lock()


def mirror(svc: Services, cache: ModelCache) -> Mirror:
    """This process's mirror for the API whose model cache is `cache` (one per app)."""
    with _mirrors_lock:
        if id(cache) not in _mirrors:
            _mirrors[id(cache)] = Mirror(svc, cache)
        return _mirrors[id(cache)]


def stop(cache: ModelCache) -> None:
    """Stop the mirror of the app whose model cache is `cache`, writing its last figures."""
    with _mirrors_lock:
        found = _mirrors.pop(id(cache), None)
    if found is not None:
        found.stop()
