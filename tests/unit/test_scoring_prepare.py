"""scoring.prepare and scoring.modelinfo on in-memory frames: which columns must be numbers, coercion, bad rows."""

import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from batchsvc.errors import InvalidModel, SchemaError
from batchsvc.scoring.modelinfo import inspect_model
from batchsvc.scoring.prepare import describe_bad_row, match_fields, prepare, require_columns
from batchsvc.scoring.sample import CATEGORIES, FIELDS, NUMERIC


def NO_MISSING(column: str) -> bool:  # noqa: N802  (a model that cannot score missing values)
    return False


def frame(columns: dict, first_row: int = 1) -> pd.DataFrame:
    """A batch as the readers give it: indexed by each row's 1-based number in the whole input."""
    rows = len(next(iter(columns.values())))
    return pd.DataFrame(columns, index=range(first_row, first_row + rows))


@pytest.fixture(scope="module")
def two_numbers():
    """A regressor on two numeric features, a and b."""
    X = pd.DataFrame({"a": [0.0, 1.0, 2.0], "b": [1.0, 0.0, 1.0]})
    return inspect_model(LinearRegression().fit(X, [0.0, 1.0, 2.0]))


def test_a_pipeline_s_encoded_columns_may_be_text_and_all_others_must_be_numbers(credit_estimator):
    # When the credit-risk pipeline is inspected
    info = inspect_model(credit_estimator)
    # Then its features are the 20 fields, numbers only where no encoder takes the column
    assert info.features == FIELDS
    assert set(info.numeric_features) == set(NUMERIC) and not set(info.numeric_features) & set(CATEGORIES)
    assert info.task == "classification" and info.classes == ["No Risk", "Risk"] and info.has_proba


def test_a_model_fitted_on_an_array_takes_declared_names_or_positions():
    # Given a model fitted on a plain two-column array
    model = LinearRegression().fit([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]], [0.0, 1.0, 2.0])
    # Then it takes names given at registration, or x0, x1 by position, but not a wrong number of names
    assert inspect_model(model, ["f1", "f2"]).features == ["f1", "f2"]
    assert inspect_model(model).features == ["x0", "x1"] and not inspect_model(model).named_features
    with pytest.raises(InvalidModel, match="features names 3 columns but the model takes 2"):
        inspect_model(model, ["f1", "f2", "f3"])


def test_an_unfitted_model_or_a_non_estimator_is_refused_naming_its_type():
    # When what was saved cannot score, Then InvalidModel says what it is
    with pytest.raises(InvalidModel, match="LinearRegression is not fitted"):
        inspect_model(LinearRegression())
    with pytest.raises(InvalidModel, match="holds a dict, not an estimator"):
        inspect_model({"a": 1})


def test_text_that_reads_as_numbers_is_coerced_and_kept(two_numbers):
    # Given numbers written as text, with spaces, and a blank
    given = frame({"a": ["1", " 2.5", ""], "b": [1, 2, 3], "note": ["x", "y", "z"]})
    # When the batch is prepared for a model that scores missing values
    ready = prepare(given, two_numbers, csv=True, accepts_missing=lambda column: True)
    # Then every row stays, the feature is float, a blank is missing (not bad), other columns are untouched
    assert ready.bad == []
    assert ready.frame["a"].dtype == "float64" and ready.frame["a"].tolist()[:2] == [1.0, 2.5]
    assert pd.isna(ready.frame["a"].iloc[2])
    assert ready.frame["note"].tolist() == ["x", "y", "z"] and ready.frame.index.tolist() == [1, 2, 3]


def test_a_value_that_is_not_a_number_makes_a_bad_row_named_by_csv_line(two_numbers):
    # Given a CSV batch starting at data row 10 whose row 11 holds 'lots' in a numeric feature
    given = frame({"a": ["1", "lots", "3"], "b": [1.0, 2.0, 3.0]}, first_row=10)
    # When it is prepared
    ready = prepare(given, two_numbers, csv=True, accepts_missing=NO_MISSING)
    # Then that row is set aside, named by row and by file line (one more, for the header)
    assert ready.bad == [{"row": 11, "line": 12, "column": "a", "value": "lots", "error": "not a number"}]
    assert ready.frame.index.tolist() == [10, 12]
    assert describe_bad_row(ready.bad[0]) == "column a, line 12: 'lots' is not a number"


def test_outside_csv_a_bad_row_is_named_by_its_row_alone(two_numbers):
    # Given a Parquet or inline batch (no file lines), When a value is not a number, Then only its row is named
    ready = prepare(frame({"a": [1.0, 2.0], "b": ["x", "2"]}), two_numbers, csv=False, accepts_missing=NO_MISSING)
    assert ready.bad == [{"row": 1, "line": None, "column": "b", "value": "x", "error": "not a number"}]
    assert describe_bad_row(ready.bad[0]) == "column b, row 1: 'x' is not a number"


def test_bad_rows_of_several_columns_come_in_row_order_and_long_values_are_cut(two_numbers):
    # Given bad values in two columns, the later row's 300 characters long
    given = frame({"a": ["1", "2", "x" * 300], "b": ["y", "2", "3"]})
    bad = prepare(given, two_numbers, csv=True, accepts_missing=NO_MISSING).bad
    # Then the bad rows come by row, whatever the column, and a value is kept to 200 characters
    assert [(b["row"], b["column"]) for b in bad] == [(1, "b"), (3, "a")]
    assert bad[1]["value"] == "x" * 200


def test_a_row_the_reader_could_not_split_is_described_by_its_line():
    # Given a CSV line with the wrong number of fields (no column to name), Then its line is named
    unsplit = {"row": 4, "line": 5, "error": "wrong number of fields"}
    assert describe_bad_row(unsplit) == "line 5: wrong number of fields"


def test_missing_features_are_all_named_in_the_model_s_order(two_numbers):
    # When the input lacks both features, Then SchemaError names both, in the model's order
    with pytest.raises(SchemaError) as refused:
        require_columns(["note"], two_numbers, [])
    assert refused.value.message == "input lacks columns: a, b"
    assert refused.value.details == {"columns": ["a", "b"]}


def test_a_missing_passthrough_column_names_the_output_field(two_numbers):
    # When a passthrough column is not in the input, Then the error names it and output.passthrough
    with pytest.raises(SchemaError) as refused:
        require_columns(["a", "b"], two_numbers, ["CustomerID", "*"])
    assert refused.value.message == "input lacks passthrough columns: CustomerID"
    assert refused.value.details["field"] == "output.passthrough"
    require_columns(["a", "b"], two_numbers, ["*"])  # all columns: nothing can be missing


def test_field_names_match_features_exactly_else_ignoring_case_when_unambiguous():
    # Exact names stay; LOANAMOUNT reads LoanAmount; a name matching nothing is left for the caller to refuse
    assert match_fields(["Age", "LOANAMOUNT", "note"], ["Age", "LoanAmount"]) == ["Age", "LoanAmount", "note"]
    # A feature already named exactly is not taken a second time by a case variant
    assert match_fields(["Age", "AGE"], ["Age"]) == ["Age", "AGE"]


def test_a_field_matching_two_features_ignoring_case_is_refused_naming_it():
    with pytest.raises(SchemaError) as refused:
        match_fields(["age"], ["Age", "AGE"])
    assert refused.value.message == "field 'age' matches several features ignoring case: Age, AGE; name it exactly"
