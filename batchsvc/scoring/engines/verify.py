"""Compile a version's fast engine and accept it only if it agrees with scikit-learn and is faster.

Agreement, on the verification sample (plus, for a tree ensemble, copies of it at the trees' splits): every label
equal and every probability within the tolerance
(regression values: within tolerance × max(1, |value|)). Speed: best of TIMING_ROUNDS runs over the whole
sample, each engine on one thread, interleaved so that a busy machine slows both alike.
"""

import time
from typing import Any

import numpy as np
import pandas as pd

from batchsvc.clock import iso
from batchsvc.errors import DataError
from batchsvc.scoring.engines import ONNX, SKLEARN, Engine, Scores
from batchsvc.scoring.engines.categories import strict_categories, unknown_rows
from batchsvc.scoring.engines.onnx import OnnxEngine, Refused, allows_nan, compile_onnx
from batchsvc.scoring.engines.sklearn import SklearnEngine
from batchsvc.scoring.engines.splits import split_rows
from batchsvc.scoring.engines.synth import synthesise
from batchsvc.scoring.engines.trees import float32_trees
from batchsvc.scoring.modelinfo import ModelInfo
from batchsvc.scoring.prepare import prepare, require_columns

TIMING_ROUNDS = 3
DEFAULT_TOLERANCE = 1e-5
SAMPLE_MAX_ROWS = 20_000  # rows of a supplied sample that verification uses


def trial(model, info: ModelInfo, sample: pd.DataFrame | None, tolerance: float) -> tuple[dict, bytes | None]:
    """The version's engine record, and the compiled artefact when the onnx engine was accepted."""
    started, artefact = time.perf_counter(), None
    record: dict[str, Any] = {"chosen": SKLEARN, "candidate": ONNX, "max_difference": None, "speedup": None,
              "refused_reason": None, "sample": {"origin": "synthesised" if sample is None else "supplied"},
              "tolerance": tolerance}
    try:
        strict = strict_categories(model)
        rows = synthesise(model, info) if sample is None else sample_rows(sample, info, strict)
        splits = split_rows(model, rows)
        if len(splits):
            rows = pd.concat([rows, splits], ignore_index=True)
            record["sample"]["at_splits"] = len(splits)
        record["sample"]["rows"] = len(rows)
        artefact = compile_onnx(model, info)
        exact = SklearnEngine(model, info) if float32_trees(model) else None
        candidate = OnnxEngine(artefact, info, strict, allow_nan=allows_nan(model), exact=exact)
        record.update(verify(SklearnEngine(model, info), candidate, rows, tolerance))
    except (Refused, DataError) as exc:
        record["refused_reason"] = str(exc) if isinstance(exc, Refused) else f"sample unusable: {exc}"
    except Exception as exc:  # a converter or runtime failure is a refusal too, never a failed registration
        record["refused_reason"] = f"unsupported step: {type(exc).__name__}: {exc}"[:300]
    record.update(seconds=round(time.perf_counter() - started, 3), compiled_at=iso())
    return record, artefact if record["chosen"] == ONNX else None


def sample_rows(frame: pd.DataFrame, info: ModelInfo, strict: dict[str, set]) -> pd.DataFrame:
    """A supplied sample's rows that the model can score: numbers coerced, unreadable and unknown rows left out."""
    require_columns(frame.columns, info, [])
    ready = prepare(frame, info, False, lambda column: False).frame  # a sample row missing a value is left out
    _, unknown = unknown_rows(ready, strict, False)
    return ready[~unknown][info.features].head(SAMPLE_MAX_ROWS)


def verify(reference: Engine, candidate: Engine, rows: pd.DataFrame, tolerance: float) -> dict:
    """chosen, max_difference, speedup and refused_reason for `candidate` against `reference` on `rows`."""
    if not len(rows):
        raise Refused("no verification rows: the sample has none the model can score")
    expected, got = reference.predict(rows), candidate.predict(rows)
    differing, difference = compare(expected, got)
    speedup = _speedup(reference, candidate, rows)
    out = {"max_difference": float(difference), "speedup": round(speedup, 2), "chosen": SKLEARN}
    if differing or difference > tolerance:
        out["refused_reason"] = (f"difference too large: {differing} of {len(rows)} labels differ, max "
                                 f"difference {difference:.3g} (tolerance {tolerance:g})")
    elif speedup <= 1:
        out["refused_reason"] = f"not faster: {speedup:.2f}x scikit-learn's speed on {len(rows)} rows"
    else:
        out["chosen"] = candidate.name
    return out


def compare(expected: Scores, got: Scores) -> tuple[int, float]:
    """(labels that differ, largest probability difference), or for regression (0, largest scaled difference)."""
    if expected.proba is None or got.proba is None:
        a, b = expected.prediction.astype(np.float64), got.prediction.astype(np.float64)
        return 0, float(np.max(np.abs(a - b) / np.maximum(1.0, np.abs(a)), initial=0.0))
    differing = int(np.sum(np.asarray(expected.prediction) != np.asarray(got.prediction)))
    if expected.proba.shape != got.proba.shape:
        return len(expected.prediction), float("inf")
    return differing, float(np.max(np.abs(expected.proba - got.proba), initial=0.0))


def _speedup(reference: Engine, candidate: Engine, rows: pd.DataFrame) -> float:
    """reference's time over candidate's, best of TIMING_ROUNDS each."""
    best = {id(reference): float("inf"), id(candidate): float("inf")}
    for _ in range(TIMING_ROUNDS):
        for engine in (reference, candidate):
            started = time.perf_counter()
            engine.predict(rows)
            best[id(engine)] = min(best[id(engine)], time.perf_counter() - started)
    return best[id(reference)] / max(best[id(candidate)], 1e-9)
