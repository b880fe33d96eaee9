"""Captured payloads through the session's API process: Parquet files a reader opens with the promised columns,
sampled at the set rate, never holding a key or token; on an S3 data dir too (an API process of its own)."""

import io
import json
import math

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from harness import JOB_WAIT_S, register, start_api, unique, wait_for

from batchsvc.client.bundle import zip_folder
from batchsvc.scoring.sample import FIELDS, make_credit_risk

META = ["time", "request", "row", "model", "version", "ms", "status", "error", "shadow"]


def deploy(client: httpx.Client, model: str, percent: float, **extra) -> str:
    """A new deployment of `model` capturing `percent` of its requests; its name."""
    name = unique("cap")
    response = client.post("/v1/deployments", json={"name": name, "model": model, "capture": {"percent": percent},
                                                     **extra})
    assert response.status_code == 201, response.text
    assert response.json()["capture"] == {"percent": percent}
    return name


def predict(client: httpx.Client, name: str, body: dict) -> dict:
    response = client.post(f"/v1/deployments/{name}/predictions", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def listed(client: httpx.Client, name: str, **params) -> dict:
    response = client.get(f"/v1/deployments/{name}/captures", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def all_files(client: httpx.Client, name: str, limit: int = 1000) -> list[dict]:
    """Every capture file of a deployment, page after page."""
    files, cursor = [], None
    while True:
        page = listed(client, name, limit=limit, **({"cursor": cursor} if cursor else {}))
        files += page["captures"]
        cursor = page["next_cursor"]
        if cursor is None:
            return files


def read_local(files: list[dict]) -> pa.Table:
    return pa.concat_tables([pq.read_table(f["path"]) for f in files], promote_options="permissive")


@pytest.mark.parametrize("engine", [None, "sklearn"])  # the fast path (onnx) and the full path
def test_captures_hold_each_input_row_with_its_answer_as_parquet_columns(client, credit_model, engine):
    # Given a deployment capturing every request
    name = deploy(client, credit_model, 100, **({"engine": engine} if engine else {}))
    frame = make_credit_risk(5, seed=3)[FIELDS]
    # When it answers a table and a records body
    table = predict(client, name, {"input_data": [{"fields": FIELDS, "values": frame.values.tolist()}]})
    records = predict(client, name, {"records": frame.head(2).to_dict(orient="records")})
    # Then its captures, read with pyarrow, hold the 7 rows with the request's columns, inputs and outputs
    files = wait_for(lambda: all_files(client, name) or None, 10, 0.1, "capture files")
    captured = read_local(files).to_pandas().sort_values(["time", "row"], kind="stable")
    assert sum(f["rows"] for f in files) == len(captured) == 7
    expected = META + [f"input.{f}" for f in FIELDS] + ["output.prediction", "output.probability"]
    assert sorted(captured.columns) == sorted(expected)
    answers = table["predictions"][0]["values"] + records["predictions"][0]["values"]
    assert captured["output.prediction"].tolist() == [a[0] for a in answers]
    assert [list(p) for p in captured["output.probability"]] == [a[1] for a in answers]
    sent = frame.to_dict(orient="records") + frame.head(2).to_dict(orient="records")
    assert captured[[f"input.{f}" for f in FIELDS]].to_dict(orient="records") == [
        {f"input.{k}": v for k, v in row.items()} for row in sent]
    assert set(captured["status"]) == {200} and set(captured["model"]) == {credit_model}
    assert captured["request"].nunique() == 2 and captured["error"].isna().all()


def test_requests_are_sampled_at_the_set_rate(client, credit_model):
    # Given a deployment capturing 10% of its requests
    name = deploy(client, credit_model, 10)
    row = make_credit_risk(1, seed=4)[FIELDS].values.tolist()
    requests = 1_200
    # When it answers 1,200 one-row requests
    for _ in range(requests):
        predict(client, name, {"input_data": [{"fields": FIELDS, "values": row}]})
    # Then about 120 were captured: within 4.5 standard deviations of a binomial draw (a false alarm ~1e-5)
    captured = read_local(all_files(client, name)).column("request").to_pylist()
    mean, sd = requests * 0.1, math.sqrt(requests * 0.1 * 0.9)
    assert abs(len(set(captured)) - mean) < 4.5 * sd, len(set(captured))
    assert len(captured) == len(set(captured))  # one row each


def test_the_listing_pages_newest_first(client, credit_model):
    # Given a deployment with captures written in three flushes (a listing writes this process's pending ones)
    name = deploy(client, credit_model, 100)
    row = make_credit_risk(1, seed=4)[FIELDS].values.tolist()
    for _ in range(3):
        predict(client, name, {"input_data": [{"fields": FIELDS, "values": row}]})
        listed(client, name)
    # When it is listed two files a page
    first = listed(client, name, limit=2)
    second = listed(client, name, limit=2, cursor=first["next_cursor"])
    # Then the pages hold the three files newest first, and the last page says there is no more
    shown = first["captures"] + second["captures"]
    assert len(shown) == 3 and second["next_cursor"] is None
    assert [f["first"] for f in shown] == sorted((f["first"] for f in shown), reverse=True)
    assert len({f["path"] for f in shown}) == 3


def test_a_bad_cursor_or_an_unknown_deployment_is_refused(client):
    assert client.get(f"/v1/deployments/{unique('none')}/captures").status_code == 404
    error = client.get("/v1/deployments/x/captures", params={"cursor": "../../etc"}).json()["error"]
    assert error["field"] == "cursor"


def test_no_key_or_token_is_ever_captured(secure):
    # Given a secured API, a deployment capturing everything, and a token made from the admin's key
    with secure.client("admin") as admin:
        name = deploy(admin, secure.model, 100)
        token = admin.post("/v1/token").json()["token"]
        # When requests authenticate with the key in either header, and with the token
        for headers in ({"X-API-Key": secure.keys["admin"]}, {"Authorization": f"Bearer {token}"}, {}):
            response = admin.post(f"/v1/deployments/{name}/predictions", headers=headers,
                                  json={"records": [{"a": 1.5}]})
            assert response.status_code == 200, response.text
        files = all_files(admin, name)
    # Then the captures hold the three requests and no file holds any key or the token, in any form
    assert sum(f["rows"] for f in files) == 3
    for f in files:
        data = open(f["path"], "rb").read()
        text = json.dumps(pq.read_table(f["path"]).to_pylist(), default=str)
        for secret in [*secure.keys.values(), token]:
            assert secret.encode() not in data and secret not in text


@pytest.fixture(scope="module")
def s3_api(env, s3_server, tmp_path_factory):
    """An API process whose data dir is on S3 (moto's server), in a namespace of its own."""
    namespace = unique("caps3")
    own = {**env, "BATCHSVC_NAMESPACE": namespace, "BATCHSVC_DATA_DIR": f"s3://batchsvc-data/{namespace}"}
    api, url = start_api(own, tmp_path_factory.mktemp("caps3") / "api.log")
    try:
        with httpx.Client(base_url=url, timeout=JOB_WAIT_S) as client:
            yield client
    finally:
        api.stop()


def test_captures_are_written_to_an_s3_data_dir(s3_api, s3_server, credit_estimator):
    # Given an API whose data dir is on S3, and a deployment there capturing everything
    model = register(s3_api, unique("credit"), credit_estimator)["name"]
    name = deploy(s3_api, model, 100)
    frame = make_credit_risk(4, seed=9)[FIELDS]
    # When it answers a request
    predict(s3_api, name, {"records": frame.to_dict(orient="records")})
    # Then the capture is an s3:// object under the data dir that pyarrow reads, holding the 4 rows
    files = all_files(s3_api, name)
    assert len(files) == 1 and files[0]["path"].startswith("s3://batchsvc-data/caps3-")
    assert f"/captures/deployments/{name}/" in files[0]["path"]
    table = pq.read_table(io.BytesIO(s3_server.get(files[0]["path"])))
    assert table.num_rows == files[0]["rows"] == 4
    assert table.column("input.LoanAmount").to_pylist() == frame["LoanAmount"].tolist()


def test_a_code_models_azure_requests_are_captured_as_text(client, tmp_path):
    # Given an Azure entry script deployed from a folder, capturing every request
    folder = tmp_path / "echo"
    folder.mkdir()
    (folder / "score.py").write_text("import json\n\n\ndef init():\n    pass\n\n\n"
                                     "def run(raw_data):\n    return {'echo': json.loads(raw_data)['data']}\n")
    model = unique("echo")
    registered = client.post(f"/v1/models/{model}/versions", files={"file": ("model.zip", zip_folder(folder))})
    assert registered.status_code == 201, registered.text
    name = deploy(client, model, 100)
    # When its Azure scoring URI answers a good body and one its run() raises on
    good = client.post(f"/api/v1/service/{name}/score", content=b'{"data": [1, 2]}')
    bad = client.post(f"/api/v1/service/{name}/score", content=b'{"rows": []}')
    assert (good.status_code, bad.status_code) == (200, 500)
    # Then each is one row holding the raw body and answer as text, with its status and error
    captured = read_local(all_files(client, name)).to_pandas().sort_values("time", kind="stable")
    assert captured["input.body"].tolist() == ['{"data": [1, 2]}', '{"rows": []}']
    assert captured["output.body"].iloc[0] == good.text and captured["status"].tolist() == [200, 500]
    assert captured["error"].isna().iloc[0] and "KeyError" in captured["error"].iloc[1]


def test_a_patch_turns_capture_on_and_off(client, credit_model):
    # Given a deployment created without capture
    name = unique("cap")
    created = client.post("/v1/deployments", json={"name": name, "model": credit_model})
    assert created.status_code == 201 and created.json()["capture"] is None, created.text
    body = {"records": make_credit_risk(1, seed=6)[FIELDS].to_dict(orient="records")}
    # When it answers once, then once with capture on, then once after capture was set to null
    predict(client, name, body)
    on = client.patch(f"/v1/deployments/{name}", json={"capture": {"percent": 100}})
    predict(client, name, body)
    off = client.patch(f"/v1/deployments/{name}", json={"capture": None})
    predict(client, name, body)
    # Then the record showed each setting, and only the middle request was captured
    assert on.json()["capture"] == {"percent": 100} and off.json()["capture"] is None
    files = all_files(client, name)
    assert [f["rows"] for f in files] == [1]


def test_metrics_count_the_captures_this_process_dropped(client):
    # The session's API process never had a full buffer nor a failing data dir: it dropped none
    lines = client.get("/metrics").text.splitlines()
    assert "batchsvc_captures_dropped_total 0.0" in lines
