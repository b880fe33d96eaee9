"""Tree ensembles' compiled engine against scikit-learn itself, on edge rows: values at the trees' thresholds and a
float32 step either side, unseen and missing categories, missing numbers; classifiers and regressors; fed as a
frame, as a Parquet-read Arrow batch (dictionary text) and as the online path's per-feature arrays."""

import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.preprocessing import OneHotEncoder

from batchsvc.scoring.engines.onehot import PLAN_KEY, OneHot, onehot_plan
from batchsvc.scoring.engines.onnx import OnnxEngine, allows_nan, compile_onnx
from batchsvc.scoring.engines.sklearn import SklearnEngine
from batchsvc.scoring.engines.splits import split_rows
from batchsvc.scoring.engines.synth import UNSEEN, synthesise
from batchsvc.scoring.engines.verify import compare
from batchsvc.scoring.modelinfo import inspect_model
from batchsvc.scoring.rows import engine_inputs
from batchsvc.scoring.sample import CATEGORIES, FIELDS, NUMERIC, credit_risk_pipeline, make_credit_risk

TOLERANCE = 1e-5
SMALL = {"n_estimators": 12, "max_depth": 7, "random_state": 0}
MODELS = {
    "forest": lambda: RandomForestClassifier(**SMALL),
    "extra trees": lambda: ExtraTreesClassifier(**SMALL),
    "gradient boosting": lambda: GradientBoostingClassifier(n_estimators=12, max_depth=4, random_state=0),
    "forest regressor": lambda: RandomForestRegressor(**SMALL),
    "extra trees regressor": lambda: ExtraTreesRegressor(**SMALL),
    "gradient boosting regressor": lambda: GradientBoostingRegressor(n_estimators=12, max_depth=4, random_state=0),
}


def fitted(final, encoder: OneHotEncoder | None = None):
    """The credit pipeline ending in `final`: regressors learn the loan amount per month."""
    pipe = credit_risk_pipeline()
    if encoder is not None:
        pipe.named_steps["prep"].transformers[0] = ("categorical", encoder, list(CATEGORIES))
    pipe.steps[-1] = ("model", final)
    data = make_credit_risk(2_000, seed=9)
    regressor = not hasattr(final, "predict_proba")
    target = data["LoanAmount"] / data["LoanDuration"] if regressor else data["Risk"]
    return pipe.fit(data[FIELDS], target)


def edge_rows(model) -> pd.DataFrame:
    """Synthesised rows (some categories unseen), copies at the trees' splits, and missing categories."""
    rows = synthesise(model, inspect_model(model), rows=600)
    rows = pd.concat([rows, split_rows(model, rows)], ignore_index=True)
    for k, column in enumerate(CATEGORIES):
        rows.loc[k * 7 % len(rows), column] = None
    return rows


def engines(model) -> tuple[SklearnEngine, OnnxEngine, bytes]:
    info = inspect_model(model)
    artefact = compile_onnx(model, info)
    exact = SklearnEngine(model, info)
    return exact, OnnxEngine(artefact, info, {}, allow_nan=allows_nan(model), exact=exact), artefact


def assert_same(expected, got) -> None:
    differing, difference = compare(expected, got)
    assert differing == 0 and difference <= TOLERANCE, (differing, difference)


@pytest.mark.parametrize("kind", list(MODELS))
def test_given_a_tree_pipeline_when_compiled_then_its_trees_are_compiled_alone_and_score_edge_rows_exactly(kind):
    model = fitted(MODELS[kind]())
    exact, engine, _ = engines(model)
    rows = edge_rows(model)
    assert engine.onehot is not None and len(split_rows(model, rows)) > 0
    assert (rows[list(CATEGORIES)] == UNSEEN).any().any() and rows[list(CATEGORIES)].isna().any().any()
    expected = exact.predict(rows)
    assert_same(expected, engine.predict(rows))
    batch = pa.RecordBatch.from_pandas(rows, preserve_index=False)
    assert_same(expected, engine.predict(batch))


def test_given_parquet_dictionary_text_when_scored_then_the_forest_engine_equals_scikit_learn():
    model = fitted(MODELS["forest"]())
    exact, engine, _ = engines(model)
    rows = edge_rows(model)
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(rows, preserve_index=False), buffer)
    table = pq.read_table(io.BytesIO(buffer.getvalue()), read_dictionary=list(CATEGORIES))
    batch = table.combine_chunks().to_batches()[0]
    assert pa.types.is_dictionary(batch.schema.field("Sex").type)
    assert_same(exact.predict(rows), engine.predict(batch))


def test_given_the_online_paths_arrays_when_scored_then_the_forest_engine_equals_scikit_learn():
    model = fitted(MODELS["forest"]())
    exact, engine, _ = engines(model)
    rows = synthesise(model, inspect_model(model), rows=40)
    rows = pd.concat([rows, split_rows(model, rows)], ignore_index=True)
    columns = {f: rows[f].tolist() for f in FIELDS}
    feed = engine_inputs(columns, inspect_model(model), engine.text, engine.number)
    assert_same(exact.predict(rows), engine.predict_arrays(feed))


def test_given_missing_numbers_when_scored_then_scikit_learn_scores_that_batch():
    model = fitted(MODELS["forest"]())
    exact, engine, _ = engines(model)
    rows = edge_rows(model)
    rows.loc[[3, 50], "Age"] = np.nan
    assert_same(exact.predict(rows), engine.predict(rows))


def test_the_plans_matrix_is_the_column_transformers_output_bit_for_bit():
    model = fitted(MODELS["forest"]())
    rows = edge_rows(model)
    matrix = OneHot(onehot_plan(model)).matrix(rows)
    expected = np.asarray(model[:-1].transform(rows), dtype=np.float32)
    assert matrix.dtype == np.float32 and np.array_equal(matrix, expected)


@pytest.mark.filterwarnings("ignore:Found unknown categories")  # scikit-learn's note on drop= with unknowns
def test_given_an_encoder_the_plan_does_not_cover_when_compiled_then_the_whole_graph_scores_exactly():
    model = fitted(RandomForestClassifier(**SMALL), OneHotEncoder(drop="first", handle_unknown="ignore"))
    assert onehot_plan(model) is None
    exact, engine, _ = engines(model)
    assert engine.onehot is None
    rows = edge_rows(model).dropna()
    assert_same(exact.predict(rows), engine.predict(rows))


def test_the_plan_travels_in_the_graphs_metadata():
    model = fitted(MODELS["forest"]())
    import onnx

    graph = onnx.load_from_string(engines(model)[2])
    plan = {p.key: p.value for p in graph.metadata_props}[PLAN_KEY]
    assert [i.name for i in graph.graph.input] == ["onehot_matrix"]
    assert OneHot(plan).plan["width"] == sum(len(v) for v in CATEGORIES.values()) + len(NUMERIC)
