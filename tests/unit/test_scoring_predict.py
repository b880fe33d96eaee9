"""scoring.predict and scoring.score on in-memory frames: labels from predict_proba, bad-row budgets, model errors."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from batchsvc.errors import DataError, SchemaError, ScoringError, TooManyBadRows
from batchsvc.scoring.modelinfo import inspect_model
from batchsvc.scoring.predict import predict
from batchsvc.scoring.sample import FIELDS, make_credit_risk
from batchsvc.scoring.score import score_batch
from batchsvc.scoring.sources import Batch


def batch(frame: pd.DataFrame, csv: bool = False, bad: list[dict] = ()) -> Batch:
    """A batch as a reader hands it over (the one place these tests build sources.Batch)."""
    return Batch(frame, csv=csv, bad=list(bad))


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return make_credit_risk(60, seed=21).set_index(pd.RangeIndex(1, 61))


@pytest.fixture(scope="module")
def picky():
    """A regressor on one feature x that refuses negative values (tests/pickymodel.py)."""
    from pickymodel import NoNegatives
    return NoNegatives().fit(pd.DataFrame({"x": [0.0, 1.0]}))


@pytest.fixture
def nan_intolerant():
    """A regressor on one feature x that cannot score a missing value."""
    return LinearRegression().fit(pd.DataFrame({"x": [0.0, 1.0, 2.0]}), [0.0, 1.0, 2.0])


def test_the_label_is_the_class_of_the_highest_probability(credit_estimator, table):
    # When the credit-risk pipeline's rows are predicted
    info = inspect_model(credit_estimator)
    out = predict(credit_estimator, info, table[FIELDS])
    # Then there is a label and one probability column per class, in the model's class order
    assert list(out.columns) == ["prediction", "probability_No Risk", "probability_Risk"]
    expected = credit_estimator.predict_proba(table[FIELDS])
    assert np.allclose(out[["probability_No Risk", "probability_Risk"]].to_numpy(), expected)
    # And each label is classes_[argmax] of its row, which is what the model's own predict says
    assert out["prediction"].tolist() == credit_estimator.classes_[expected.argmax(axis=1)].tolist()
    assert out["prediction"].tolist() == credit_estimator.predict(table[FIELDS]).tolist()
    assert out.index.tolist() == table.index.tolist()


def test_a_regressor_gives_one_prediction_column(nan_intolerant):
    # When a regressor predicts, Then there is one prediction column, its own predict's values
    out = predict(nan_intolerant, inspect_model(nan_intolerant), pd.DataFrame({"x": [3.0, 4.0]}))
    assert list(out.columns) == ["prediction"] and np.allclose(out["prediction"], [3.0, 4.0])


def test_a_model_fitted_on_an_array_is_given_an_array_by_position():
    # Given a model fitted on an array (no names) and registered with names f1, f2
    model = LinearRegression().fit(np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]), [0.0, 1.0, 10.0])
    # When a frame with those columns is predicted, Then the model gets their values by position
    out = predict(model, inspect_model(model, ["f1", "f2"]), pd.DataFrame({"f1": [1.0], "f2": [1.0]}))
    assert np.allclose(out["prediction"], [11.0])


def test_a_model_error_names_the_first_batch_row_that_causes_it(picky):
    # Given a batch whose third row holds a value the model refuses
    features = pd.DataFrame({"x": [1.0, 2.0, -1.0, -2.0]}, index=[5, 6, 7, 8])
    # When it is predicted, Then the model's own error carries the third row's position (found by bisection)
    with pytest.raises(ScoringError) as failed:
        predict(picky, inspect_model(picky), features)
    assert failed.value.message.startswith("the model failed: ValueError: negative values")
    assert failed.value.details == {"batch_row": 2}


def test_score_batch_puts_passthrough_columns_in_front_in_input_order(credit_estimator, table):
    # When a batch is scored with CustomerID passed through
    out, bad = score_batch(credit_estimator, inspect_model(credit_estimator), batch(table.copy()), ["CustomerID"],
                           max_bad_rows=0, bad_seen=0)
    # Then each output row is its input row's id, then the model's own prediction
    assert bad == []
    assert list(out.columns[:2]) == ["CustomerID", "prediction"]
    assert out["CustomerID"].tolist() == table["CustomerID"].tolist()
    assert out["prediction"].tolist() == credit_estimator.predict(table[FIELDS]).tolist()


def test_score_batch_names_the_csv_line_of_a_row_the_model_cannot_score(picky):
    # Given a CSV batch whose data row 7 (file line 8) the model cannot score
    given = batch(pd.DataFrame({"id": [1, 2, 3], "x": [1.0, -2.0, 3.0]}, index=[6, 7, 8]), csv=True)
    # When it is scored (a model error is never a skippable bad row), Then the job's error names that line
    with pytest.raises(DataError) as failed:
        score_batch(picky, inspect_model(picky), given, [], max_bad_rows=5, bad_seen=0)
    assert failed.value.message.startswith("line 8: the model failed")
    assert failed.value.details == {"row": 7, "line": 8}


def test_score_batch_refuses_a_batch_lacking_features(credit_estimator, table):
    # Given a batch without two of the model's features, When it is scored, Then both are named
    given = batch(table.drop(columns=["Age", "LoanAmount"]))
    with pytest.raises(SchemaError, match="^input lacks columns: LoanAmount, Age$"):
        score_batch(credit_estimator, inspect_model(credit_estimator), given, [], max_bad_rows=0, bad_seen=0)


def mixed_bad(csv: bool = True) -> Batch:
    """Three rows of x; row 2 is not a number, and the reader already set aside row 9 (wrong field count)."""
    frame = pd.DataFrame({"id": [1, 2, 3], "x": ["1", "y", "3"]}, index=[1, 2, 3])
    return batch(frame, csv=csv, bad=[{"row": 9, "line": 10, "error": "wrong number of fields"}])


def test_bad_rows_within_the_budget_are_skipped_and_returned_in_row_order(nan_intolerant):
    # When a batch with two bad rows is scored allowing two
    out, bad = score_batch(nan_intolerant, inspect_model(nan_intolerant), mixed_bad(), ["id"], max_bad_rows=2,
                           bad_seen=0)
    # Then the good rows are scored in order, and both bad rows come back for the errors file
    assert out["id"].tolist() == [1, 3] and np.allclose(out["prediction"], [1.0, 3.0])
    assert [(b["row"], b["line"]) for b in bad] == [(2, 3), (9, 10)]


def test_with_no_budget_the_first_bad_row_fails_the_batch_as_a_schema_error(nan_intolerant):
    # When a batch with bad rows is scored allowing none, Then the first one fails it, named by column and line
    with pytest.raises(SchemaError) as failed:
        score_batch(nan_intolerant, inspect_model(nan_intolerant), mixed_bad(), [], max_bad_rows=0, bad_seen=0)
    assert failed.value.message == "column x, line 3: 'y' is not a number"
    assert failed.value.details == {"column": "x", "row": 2, "line": 3}


@pytest.mark.parametrize("max_bad_rows, bad_seen", [(1, 0), (2, 1)])
def test_the_first_bad_row_past_the_budget_fails_naming_the_budget(nan_intolerant, max_bad_rows, bad_seen):
    # Given bad rows that earlier batches already counted (bad_seen) against the job's budget
    # When this batch's two bad rows take the count past it
    with pytest.raises(TooManyBadRows) as failed:
        score_batch(nan_intolerant, inspect_model(nan_intolerant), mixed_bad(), [], max_bad_rows=max_bad_rows,
                    bad_seen=bad_seen)
    # Then the row that went past is named, with the budget
    assert failed.value.message == f"line 10: wrong number of fields (more than max_bad_rows={max_bad_rows})"
