"""azureml-core's Model.get_model_path, unchanged, finds a version's files laid out as Azure lays them out
(azureml-models/<name>/<version>/ beside score.py): `batchsvc serve` answers as azmlinfsrv does for the same folder,
one API process serving two versions finds each version's own files, and a worker's batch job finds them too. All
run from the venv that has azureml-core (tests/azureml_core.py): it cannot be installed beside our test tools."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import httpx
import joblib
import numpy as np
import pandas as pd
import pytest
from azmlinfsrv import MODEL_FILE, SAMPLES, Azmlinfsrv
from azureml_core import azureml_python  # noqa: F401  (the venv with azureml-core)
from harness import ROOT, RedisServer, free_port, result_frame, run_job, start_api, start_workers, unique, wait_for
from sklearn.linear_model import Ridge

from batchsvc.client.bundle import zip_folder

ROWS = [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]]
REQUESTS = [("good rows", json.dumps({"data": ROWS}).encode()),
            ("too few features: the error as text", b'{"data": [[1, 2]]}'),
            ("not JSON: the error as text", b"{oops")]


def laid_out(into: Path, model, version: int = 1, sample: str = "get_model_path") -> Path:
    """tests/azure_samples/<sample>/ with the model where Azure puts a registered one:
    azureml-models/<name>/<version>/<file> (the name is the file's, as the script asks for it)."""
    folder = into / sample
    shutil.copytree(SAMPLES / sample, folder, dirs_exist_ok=True)
    target = folder / "azureml-models" / MODEL_FILE / str(version) / MODEL_FILE
    target.parent.mkdir(parents=True)
    joblib.dump(model, target)
    return folder


def ridge(offset: float) -> Ridge:
    """A Ridge regression on 10 features; `offset` tells two of them apart by their answers."""
    X = np.random.default_rng(5).uniform(0, 10, (100, 10))
    return Ridge().fit(X, X @ np.arange(1, 11) + offset)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url + "/", timeout=2).text == "Healthy"
    except httpx.TransportError:
        return False


@pytest.fixture
def served(azureml_python, tmp_path):
    """`batchsvc serve` of the laid-out folder from the azureml-core venv, started elsewhere than the folder (so
    Model.get_model_path cannot find the file through the working directory)."""
    folder = laid_out(tmp_path, ridge(5.0))
    port, log = free_port(), open(tmp_path / "serve.log", "ab")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BATCHSVC_", "AZUREML_", "AML_"))}
    env["PYTHONPATH"] = str(ROOT)  # batchsvc from this checkout
    proc = subprocess.Popen([str(azureml_python), "-m", "batchsvc.cli", "serve", str(folder), "--port", str(port)],
                            env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: proc.poll() is None and _answers(url), 120, 0.2, f"batchsvc serve (log: {log.name})")
        yield folder, url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def test_serve_finds_the_model_as_azmlinfsrv_does(served, azureml_python, tmp_path):
    folder, url = served
    # Given the same folder served by azmlinfsrv (AML_APP_ROOT the folder, as on Azure) and by batchsvc serve
    reference = Azmlinfsrv(azureml_python, folder, tmp_path / "azmlinfsrv.log")
    headers = {"Content-Type": "application/json"}
    try:
        # When the same requests go to both
        ours = [httpx.post(url + "/score", content=body, headers=headers, timeout=30) for _, body in REQUESTS]
        theirs = [httpx.post(reference.url + "/score", content=body, headers=headers, timeout=30)
                  for _, body in REQUESTS]
    finally:
        reference.stop()
    # Then both loaded the model through Model.get_model_path and answer the same
    for (what, _), mine, reference_answer in zip(REQUESTS, ours, theirs, strict=True):
        assert (mine.status_code, mine.json()) == (reference_answer.status_code, reference_answer.json()), what
    assert ours[0].json() == {"result": ridge(5.0).predict(np.array(ROWS)).tolist()}


@pytest.fixture
def core_api(env, azureml_python, tmp_path):
    """An API (one process) and one worker process run from the azureml-core venv, over a Redis of their own (the
    run's workers lack azureml-core); the shell in front swaps the test venv's python for that venv's (batchsvc comes
    from the working directory, this checkout)."""
    swap = ["sh", "-c", 'shift; exec "$0" "$@"', str(azureml_python)]
    redis = RedisServer(tmp_path / "redis")
    redis.start()
    own = {**env, "BATCHSVC_REDIS_URL": redis.url}
    workers = start_workers(own, tmp_path / "workers.log", processes=1, wrapper=swap)
    try:
        api, url = start_api(own, tmp_path / "api.log", wrapper=swap)
        with httpx.Client(base_url=url, timeout=60) as client:
            yield client
        api.stop()
    finally:
        workers.stop()
        redis.stop()


def test_one_process_serving_two_versions_finds_each_versions_files(core_api, tmp_path):
    # Given two code versions whose folders both hold azureml-models/sklearn_regression_model.pkl/1/, each its own
    first, second = ridge(5.0), ridge(500.0)
    names = []
    for offset, model in (("a", first), ("b", second)):
        folder = laid_out(tmp_path / offset, model)
        name = unique(f"get-model-path-{offset}")
        registered = core_api.post(f"/v1/models/{name}/versions", files={"file": ("model.zip", zip_folder(folder))})
        assert registered.status_code == 201, registered.text
        # When each is deployed and scored in the same API process
        created = core_api.post("/v1/deployments", json={"name": f"{name}-svc", "model": name})
        assert created.status_code == 201 and created.json()["state"] == "ready", created.text
        names.append(created.json()["name"])
    answers = [core_api.post(f"/api/v1/service/{name}/score", json={"data": ROWS}) for name in (*names, names[0])]
    # Then each answers with its own model, the first version too after the second's init
    expected = [first.predict(np.array(ROWS)).tolist(), second.predict(np.array(ROWS)).tolist()]
    assert [a.status_code for a in answers] == [200, 200, 200], [a.text for a in answers]
    assert [a.json() for a in answers] == [{"result": expected[0]}, {"result": expected[1]}, {"result": expected[0]}]


def test_a_batch_job_finds_the_model_through_get_model_path(core_api, inputs_dir, tmp_path):
    # Given an Azure batch script whose init calls Model.get_model_path, registered with its azureml-models/ folder
    model = ridge(50.0)
    folder = laid_out(tmp_path, model, sample="get_model_path_batch")
    name = unique("get-model-path-batch")
    registered = core_api.post(f"/v1/models/{name}/versions", files={"file": ("m.zip", zip_folder(folder))})
    assert registered.status_code == 201, registered.text
    frame = pd.DataFrame(np.random.default_rng(3).uniform(0, 10, (300, 10)), columns=[f"x{i}" for i in range(10)])
    path = inputs_dir / f"{name}.csv"
    frame.to_csv(path, index=False)
    # When a worker of the azureml-core venv scores it in chunks
    job = run_job(core_api, {"model": name, "input": {"path": str(path)}, "chunk_size": 100})
    # Then init found the model and each row is its prediction
    assert job["status"] == "completed", job["error"]
    assert np.allclose(result_frame(core_api, job["id"])["prediction"], model.predict(frame.to_numpy()))
