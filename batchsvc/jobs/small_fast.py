"""A small job's rows scored as the online fast path scores a request: read straight into the verified onnx
engine's arrays and written as JSON lines, with no pandas frame on the way.

It answers only what it answers byte for byte as the frame path (small.py's) would, and returns None for the rest:
another engine or output format, passthrough columns, a capture, a drift baseline, a value read_entries refuses,
a label or score whose JSON text might differ. The caller then runs the frame path, which gives the answer.
"""

from dataclasses import dataclass

from batchsvc.jobs.online_fast import limits
from batchsvc.jobs.spec import JobSpec, RecordsSpec, TableSpec
from batchsvc.scoring.engines import Engine
from batchsvc.scoring.engines.onnx import OnnxEngine
from batchsvc.scoring.modelinfo import ModelInfo
from batchsvc.scoring.rows import answer_jsonl, engine_inputs, read_entries, watson_answer
from batchsvc.settings import Settings


@dataclass(frozen=True)
class FastResult:
    """What the frame path's score, write_small and result record would give."""
    jsonl: bytes
    shown: dict  # the first max_inline_result_rows rows in Watson ML's shape
    rows: int


def fast_small(settings: Settings, spec: JobSpec, meta: dict, engine: Engine, info: ModelInfo) -> FastResult | None:
    """The job's output without pandas, or None when the frame path must score it."""
    if not (isinstance(engine, OnnxEngine) and _eligible(spec, meta, info)):
        return None
    source = spec.input
    if isinstance(source, RecordsSpec):
        body: dict = {"records": source.records}
    elif isinstance(source, TableSpec):
        body = {"input_data": [{"fields": source.fields, "values": source.values}]}
    else:
        return None
    entries = read_entries(body, info, engine.strict, limits(settings))
    if entries is None or len(entries) != 1:
        return None
    try:
        scores = engine.predict_arrays(engine_inputs(entries[0], info, engine.text, engine.number))
    except Exception:  # the model's own error: the frame path finds the row and names it
        return None
    answer = watson_answer(scores.prediction, scores.proba)
    jsonl = answer_jsonl(answer, info.classes if scores.proba is not None else None)
    if jsonl is None:
        return None
    shown = {**answer, "values": answer["values"][:settings.max_inline_result_rows]}
    return FastResult(jsonl, shown, len(answer["values"]))


def _eligible(spec: JobSpec, meta: dict, info: ModelInfo) -> bool:
    """Only plain JSON-lines jobs whose recorded features are the model's own (the engine is checked apart)."""
    return (spec.output.format == "jsonl" and not spec.output.passthrough
            and not spec.capture and meta.get("baseline") is None and meta.get("features") == info.features
            and not (info.has_proba and not info.classes))
