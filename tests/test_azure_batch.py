"""An Azure ML tabular batch script, unchanged, over a batch job: init() with AZUREML_MODEL_DIR, run(mini_batch)
per chunk as a DataFrame, a list with one element per row back; the output equals the script run by hand, and a
worker killed mid-job costs only its chunk."""

import importlib.util
import os
import uuid

import numpy as np
import pandas as pd
from azmlinfsrv import sample_folder
from code_support import run_killing_a_worker
from harness import result_frame, run_job, unique

from batchsvc.client.bundle import zip_folder

SLOW = '''import os
import time

import joblib


def init():
    global model
    model = joblib.load(os.path.join(os.getenv("AZUREML_MODEL_DIR"), "sklearn_regression_model.pkl"))


def run(mini_batch):
    time.sleep(0.4)
    return model.predict(mini_batch[[f"x{i}" for i in range(10)]].to_numpy()).tolist()
'''


def table(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(9)
    frame = pd.DataFrame(rng.uniform(0, 10, (rows, 10)), columns=[f"x{i}" for i in range(10)])
    frame.insert(0, "id", np.arange(rows))
    return frame


def by_hand(folder, frame: pd.DataFrame) -> list:
    """What the script gives run by hand, as Azure would run it: AZUREML_MODEL_DIR set, init(), run(whole frame)."""
    os.environ["AZUREML_MODEL_DIR"] = str(folder)
    try:
        spec = importlib.util.spec_from_file_location(f"by_hand_{uuid.uuid4().hex}", folder / "score.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.init()
        return module.run(frame.copy())
    finally:
        del os.environ["AZUREML_MODEL_DIR"]


def register_folder(client, folder) -> str:
    name = unique("azbatch")
    assert client.post(f"/v1/models/{name}/versions", files={"file": ("m.zip", zip_folder(folder))}).status_code == 201
    return name


def test_batch_script_over_a_csv_job_of_several_chunks_equals_running_it_by_hand(client, inputs_dir,
                                                                                 regression_model, tmp_path):
    # Given Azure's batch script registered as it is, and a CSV of 500 rows
    folder = sample_folder("batch_csv", regression_model, tmp_path)
    name = register_folder(client, folder)
    frame = table(500)
    path = inputs_dir / f"{name}.csv"
    frame.to_csv(path, index=False)
    # When a job scores it in chunks of 120 rows
    job = run_job(client, {"model": name, "input": {"path": str(path)}, "chunk_size": 120,
                           "output": {"passthrough": ["id"]}})
    # Then it completes in five chunks, and each row's result is what the script gives by hand
    assert job["status"] == "completed", job["error"]
    assert job["progress"]["chunks_total"] >= 2
    out = result_frame(client, job["id"])
    assert out["id"].tolist() == frame["id"].tolist()
    assert out["prediction"].tolist() == by_hand(folder, frame)


def test_killed_worker_mid_job_with_a_batch_script_loses_only_its_chunk(client, inputs_dir, regression_model,
                                                                        tmp_path):
    # Given a slow Azure batch script (init() without parameters) and 600 rows
    folder = sample_folder("batch_csv", regression_model, tmp_path)
    (folder / "score.py").write_text(SLOW)
    name = register_folder(client, folder)
    frame = table(600)
    # When the worker holding its second chunk is killed with SIGKILL
    out = run_killing_a_worker(client, name, frame, inputs_dir / f"{name}.parquet")
    # Then the job completed, row for row what the script gives by hand
    assert out["id"].tolist() == frame["id"].tolist()
    assert np.allclose(out["prediction"], by_hand(folder, frame))
