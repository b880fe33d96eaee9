"""The small-job fast path (jobs/small_fast.py) against the frame path it stands in for: the same inline rows give
the same result file, byte for byte, and the same predictions in the result record; what it cannot answer exactly
it leaves to the frame path (None)."""

import io

import pytest

from batchsvc.jobs.small_fast import fast_small
from batchsvc.jobs.spec import JobSpec, OutputSpec, RecordsSpec, TableSpec
from batchsvc.scoring import output, sources
from batchsvc.scoring.engines.categories import strict_categories
from batchsvc.scoring.engines.onnx import OnnxEngine, allows_nan, compile_onnx
from batchsvc.scoring.modelinfo import inspect_model
from batchsvc.scoring.rows import FAST_ROWS, answer_jsonl
from batchsvc.scoring.sample import FIELDS, WATSON_ROW, make_credit_risk, train_credit_risk
from batchsvc.scoring.score import score_batch
from batchsvc.settings import get_settings

SHOWN_ROWS = 10  # fewer than the largest job's rows: the result record's head is cut as the frame path cuts it


@pytest.fixture(scope="module")
def engine():
    """The credit-risk pipeline with its onnx engine, as a worker's model cache builds it."""
    model = train_credit_risk(make_credit_risk(3_000, seed=7))
    info = inspect_model(model)
    return OnnxEngine(compile_onnx(model, info), info, strict_categories(model), 1, allows_nan(model)), info


def frame_path(spec: JobSpec, engine, info) -> tuple[bytes, dict]:
    """The result file and record predictions small.py's frame path writes for the spec."""
    batch = sources.Batch(sources.numbered(spec.input.frame(), 1))
    rows, bad = score_batch(engine, info, batch, [], 0, 0)
    assert not bad
    dest = io.BytesIO()
    shown = output.write_small(rows, "jsonl", dest, SHOWN_ROWS)
    return dest.getvalue(), shown


def job(source, fmt: str = "jsonl", **output_options) -> JobSpec:
    return JobSpec(input=source, output=OutputSpec(format=fmt, **output_options))


def settings():
    return get_settings().model_copy(update={"max_inline_result_rows": SHOWN_ROWS})


ROWS = make_credit_risk(600, seed=23)[FIELDS].astype(object).values.tolist()


@pytest.mark.parametrize("size", [1, 2, FAST_ROWS])
def test_the_fast_path_writes_the_frame_paths_bytes_and_predictions(engine, size):
    """Given hundreds of generated rows as jobs of 1, 2 and FAST_ROWS rows, as tables and as records."""
    onnx, info = engine
    meta = {"features": info.features}
    for start in range(0, len(ROWS), size):
        rows = ROWS[start:start + size]
        records = [dict(zip(FIELDS, r)) for r in rows]
        for source in (TableSpec(fields=FIELDS, values=rows), RecordsSpec(records=records)):
            spec = job(source)
            # When the fast path and the frame path score the same job
            fast = fast_small(settings(), spec, meta, onnx, info)
            expected_file, expected_shown = frame_path(spec, onnx, info)
            # Then the fast path answered it, with the same file bytes, predictions and row count
            assert fast is not None, rows
            assert fast.jsonl == expected_file, rows
            assert fast.shown == expected_shown, rows
            assert fast.rows == len(rows)


def _with(field: str, value) -> list:
    row = list(WATSON_ROW)
    row[FIELDS.index(field)] = value
    return row


@pytest.mark.parametrize("spec", [
    job(TableSpec(fields=FIELDS, values=[_with("LoanAmount", None)])),  # a missing value: a bad row or NaN rules
    job(TableSpec(fields=FIELDS, values=[_with("LoanAmount", "lots")])),  # a bad row the frame path names
    job(TableSpec(fields=FIELDS, values=[WATSON_ROW] * (FAST_ROWS + 1))),  # more rows than the fast path takes
    job(TableSpec(fields=FIELDS, values=[WATSON_ROW]), "csv"),  # another format
    job(TableSpec(fields=FIELDS, values=[WATSON_ROW]), passthrough=["Age"]),  # passed-through columns
    job(TableSpec(fields=FIELDS, values=[WATSON_ROW])).model_copy(update={"capture": True}),
], ids=["missing", "bad number", "too many rows", "csv", "passthrough", "capture"])
def test_what_the_fast_path_cannot_answer_exactly_goes_to_the_frame_path(engine, spec):
    onnx, info = engine
    # Given a job the fast path must not answer, When it is offered to it, Then it declines
    assert fast_small(settings(), spec, {"features": info.features}, onnx, info) is None


def test_a_version_with_a_drift_baseline_or_other_recorded_features_goes_to_the_frame_path(engine):
    onnx, info = engine
    spec = job(TableSpec(fields=FIELDS, values=[WATSON_ROW]))
    assert fast_small(settings(), spec, {"features": info.features, "baseline": {}}, onnx, info) is None
    assert fast_small(settings(), spec, {"features": info.features[::-1]}, onnx, info) is None


@pytest.mark.parametrize("value", ["a\u00e9", "a/b", 'quote"', 1e-16, 123456.5, -0.0, True])
def test_a_label_or_score_the_two_writers_might_print_differently_is_declined(value):
    # Given an answer holding a value whose JSON text pandas and the json module might write differently
    answer = {"fields": ["prediction"], "values": [[value]]}
    # When it is written as JSON lines, Then the fast path declines (the frame path writes it)
    assert answer_jsonl(answer, None) is None


def test_plain_labels_and_scores_are_written_as_pandas_writes_records():
    answer = {"fields": ["prediction", "probability"], "values": [["No Risk", [0.25, 0.75]], ["Risk", [1.0, 0.0]]]}
    got = answer_jsonl(answer, ["Risk", "No Risk"])
    assert got == (b'{"prediction":"No Risk","probability_Risk":0.25,"probability_No Risk":0.75}\n'
                   b'{"prediction":"Risk","probability_Risk":1.0,"probability_No Risk":0.0}\n')
