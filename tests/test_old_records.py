"""Versions registered by an older batchsvc still score right: what a model needs is read from the model."""

import json
import uuid

import numpy as np
import pandas as pd
from harness import register, results, run_job
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from batchsvc.storage.services import get_services


def test_an_old_record_that_calls_integer_codes_text_still_scores_them_as_numbers(client, inputs_dir):
    # Given a pipeline one-hot encoding integer codes, whose stored record says (as older versions wrote)
    # that the encoded column is text
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"code": rng.integers(1, 4, 300), "x": rng.normal(size=300)})
    y = (frame["code"] == 2) ^ (frame["x"] > 0)
    model = make_pipeline(ColumnTransformer([("c", OneHotEncoder(), ["code"])], remainder="passthrough"),
                          LogisticRegression()).fit(frame, y)
    name = f"codes-{uuid.uuid4().hex[:6]}"
    meta = register(client, name, model)
    svc = get_services()
    stored = json.loads(svc.redis.hget(svc.keys.model_versions(name), str(meta["version"])))
    stored["numeric_features"] = ["x"]
    svc.redis.hset(svc.keys.model_versions(name), str(meta["version"]), json.dumps(stored))
    path = inputs_dir / f"{name}.csv"
    frame.to_csv(path, index=False)
    # When a CSV of those codes is scored
    job = run_job(client, {"model": name, "input": {"path": str(path)}})
    # Then the predictions are the model's own on the integer codes
    out = results(client, job)
    assert out["prediction"].tolist() == model.predict(frame).tolist()
