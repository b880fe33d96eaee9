"""Drift profiles (scoring/profile.py) and baselines (scoring/baseline.py), pure: a baseline of training rows,
profiles that merge by adding, PSI."""

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from batchsvc.errors import SchemaError
from batchsvc.scoring.baseline import baseline_for, baseline_or_none
from batchsvc.scoring.profile import baseline_of, compare, merge, merge_all, profile_of
from batchsvc.scoring.sample import FIELDS, make_credit_risk


@pytest.fixture(scope="module")
def training() -> pd.DataFrame:
    return make_credit_risk(5000, seed=1)


@pytest.fixture(scope="module")
def baseline(training) -> dict:
    return baseline_of(training, FIELDS)


def test_given_training_rows_when_baselined_then_each_feature_has_its_type_bins_and_a_json_form(baseline):
    """Given the credit-risk rows, when baselined, then numbers have deciles, categories frequencies, and the
    whole is JSON (it is stored on the version's record)."""
    assert baseline["rows"] == 5000
    amount, sex = baseline["features"]["LoanAmount"], baseline["features"]["Sex"]
    assert amount["type"] == "number" and len(amount["quantiles"]) == 11 and amount["missing_share"] == 0
    assert sex["type"] == "category" and set(sex["frequencies"]) == {"female", "male"}
    assert sum(sex["frequencies"].values()) == pytest.approx(1.0)
    assert json.loads(json.dumps(baseline)) == baseline


def test_given_a_frame_in_chunks_when_profiles_merge_then_they_equal_the_profile_of_the_whole(training, baseline):
    """Given a frame cut into uneven chunks (one an Arrow batch), when their profiles merge, then the result is
    the profile of the whole frame, count for count."""
    other = make_credit_risk(3000, seed=7)
    other.loc[::11, "Age"] = np.nan
    other.loc[::13, "Housing"] = None
    other.loc[::17, "Housing"] = "boat"
    parts = [other.iloc[:1000], pa.RecordBatch.from_pandas(other.iloc[1000:1001], preserve_index=False),
             other.iloc[1001:2500], pa.Table.from_pandas(other.iloc[2500:], preserve_index=False)]
    merged = merge_all([profile_of(p, baseline) for p in parts])
    assert merged == profile_of(other, baseline)
    assert merged["features"]["Housing"]["unseen"] == {"boat": len(other.iloc[::17])}  # set after None


def test_given_rows_like_the_training_data_when_compared_then_nothing_has_drifted(baseline):
    """Given fresh rows from the same generator, when compared with the baseline, then no feature drifted."""
    report = compare(baseline, profile_of(make_credit_risk(4000, seed=2), baseline), {"psi": 0.2})
    assert report["drifted"] == []
    assert max(f["psi"] for f in report["features"].values()) < 0.05


def test_given_a_moved_mean_and_a_new_category_when_compared_then_exactly_those_features_drift(baseline):
    """Given rows whose LoanAmount moved up and whose LoanPurpose holds a new category, when compared, then those
    two features and no other are drifted, and the new category is named."""
    shifted = make_credit_risk(4000, seed=3)
    shifted["LoanAmount"] = shifted["LoanAmount"] + 4000
    shifted.loc[::3, "LoanPurpose"] = "crypto"
    report = compare(baseline, profile_of(shifted, baseline), {"psi": 0.2})
    assert sorted(report["drifted"]) == ["LoanAmount", "LoanPurpose"]
    purpose = report["features"]["LoanPurpose"]
    assert purpose["unseen"] == {"crypto": len(shifted.iloc[::3])}
    assert purpose["unseen_share"] == pytest.approx(len(shifted.iloc[::3]) / 4000, abs=1e-6)
    assert report["features"]["LoanAmount"]["unseen_share"] > 0.3


def test_given_an_empty_profile_when_compared_then_psi_is_none_and_nothing_drifts(baseline):
    """Given no rows, when compared, then PSI is unknown (None) rather than a number, and nothing drifted."""
    report = compare(baseline, profile_of(make_credit_risk(0), baseline))
    assert report["drifted"] == [] and report["features"]["Age"]["psi"] is None


def test_given_text_numbers_and_a_lacking_column_when_profiled_then_they_count_as_numbers_and_missing(baseline):
    """Given a numeric feature read as text (CSV-like) and a frame lacking one feature, when profiled, then the
    text is counted as numbers and the lacking feature as missing in every row."""
    rows = make_credit_risk(200, seed=4)
    as_text = rows.assign(Age=rows["Age"].astype(str)).drop(columns=["Telephone"])
    profile, exact = profile_of(as_text, baseline), profile_of(rows, baseline)
    assert profile["features"]["Age"] == exact["features"]["Age"]
    assert profile["features"]["Telephone"]["missing"] == 200


def test_given_two_profiles_when_merged_then_every_count_adds(baseline):
    """Given two profiles, when merged, then rows and each bin count are the sums."""
    a, b = profile_of(make_credit_risk(100, seed=5), baseline), profile_of(make_credit_risk(50, seed=6), baseline)
    both = merge(a, b)
    assert both["rows"] == 150
    ages = [a["features"]["Age"]["counts"], b["features"]["Age"]["counts"], both["features"]["Age"]["counts"]]
    assert [x + y for x, y in zip(ages[0], ages[1])] == ages[2]


def test_given_parquet_text_read_as_dictionaries_when_profiled_then_counts_equal_the_frames(baseline):
    """Given rows as Arrow with dictionary-encoded text (as Parquet reads a chunk), some missing and one unseen,
    when profiled, then every count equals the pandas frame's."""
    rows = make_credit_risk(1000, seed=8)
    rows.loc[::9, "Job"] = None
    rows.loc[::10, "Job"] = "astronaut"
    table = pa.Table.from_pandas(rows, preserve_index=False)
    encoded = table.set_column(table.schema.get_field_index("Job"), "Job", table.column("Job").dictionary_encode())
    assert pa.types.is_dictionary(encoded.schema.field("Job").type)
    assert profile_of(encoded, baseline) == profile_of(encoded.to_batches()[0], baseline) == profile_of(rows, baseline)


def test_given_numbers_outside_the_range_and_missing_when_profiled_then_each_lands_in_its_own_bin():
    """Given a baseline of 1..100, when -5, 1, 50, 100, 200 and NaN are profiled, then one is below, one above,
    one missing, and the edges 1 and 100 fall inside (the first and the last bin)."""
    line = baseline_of(pd.DataFrame({"x": np.arange(1, 101, dtype=float)}))
    counts = profile_of(pd.DataFrame({"x": [-5, 1, 50, 100, 200, np.nan]}), line)["features"]["x"]
    assert (counts["below"], counts["above"], counts["missing"]) == (1, 1, 1)
    assert counts["counts"][0] == 1 and counts["counts"][-1] == 1 and sum(counts["counts"]) == 3
    assert line["profile"]["features"]["x"]["counts"] == [10] * 10


def test_given_too_few_or_unfit_rows_when_a_baseline_is_asked_then_the_field_and_column_are_named():
    """Given a baseline with 5 rows, or one lacking a feature, when checked, then SchemaError names the field (and
    the column); an unfit verification sample gives no baseline rather than an error."""
    rows = make_credit_risk(100, seed=9)
    numeric = ["LoanAmount", "Age"]
    with pytest.raises(SchemaError, match="at least 20") as few:
        baseline_for(rows.iloc[:5], FIELDS, numeric)
    assert few.value.details["field"] == "baseline"
    with pytest.raises(SchemaError, match="Sex") as lacking:
        baseline_for(rows.drop(columns=["Sex"]), FIELDS, numeric)
    assert lacking.value.details["columns"] == ["Sex"]
    assert baseline_or_none(rows.drop(columns=["Sex"]), FIELDS, numeric) is None
    assert baseline_or_none(rows, FIELDS, numeric)["rows"] == 100
