"""Bad requests get a clear answer naming the field, at submit, before any worker sees them (in process).

Moved here from tests/test_bad_input.py and tests/test_long_poll.py; the bad-file tests, which need a
worker to read the file, stay there.
"""

import os
import uuid

import pytest
from answers import error_of

from batchsvc.scoring.sample import FIELDS, WATSON_ROW


@pytest.mark.parametrize("body, field", [
    ({"model": "m", "input": {"values": [[1]]}, "colour": "red"}, "colour"),
    ({"model": "m", "input": {"values": [[1]], "path": "x.csv"}}, "input"),
    ({"model": "m", "input": {}}, "input"),
    ({"model": "m", "input": {"path": "x.csv", "format": "xlsx"}}, "input.format"),
    ({"model": "m", "input": {"values": [[1]]}, "output": {"format": "xml"}}, "output.format"),
    ({"model": "m", "input": {"values": [[1]]}, "chunk_size": 0}, "chunk_size"),
    ({"input": {"values": [[1]]}}, "model"),
])
def test_body_that_breaks_the_schema_gets_422_with_the_field_path(client, body, field):
    error = error_of(client.post("/v1/jobs", json=body), 422)
    assert error["field"] == field, error


def test_malformed_json_gets_400(client):
    error = error_of(client.post("/v1/jobs", content=b'{"model": ', headers={"Content-Type": "application/json"}),
                     400)
    assert "not valid JSON" in error["message"]


def test_unknown_model_and_unknown_job_get_404(client):
    error = error_of(client.post("/v1/jobs", json={"model": "no-such-model", "input": {"values": [[1]]}}), 404)
    assert "no-such-model" in error["message"]
    error_of(client.get(f"/v1/jobs/{uuid.uuid4().hex}"), 404)
    error_of(client.post(f"/v1/jobs/{uuid.uuid4().hex}/cancel"), 404)


def test_an_unknown_job_is_404_on_every_job_route(client):
    # Given an id that names no job
    job_id = uuid.uuid4().hex
    # When any of its routes is called, Then each answers 404 JobNotFound
    for method, path in [("GET", f"/v1/jobs/{job_id}/results"), ("GET", f"/v1/jobs/{job_id}/events"),
                         ("DELETE", f"/v1/jobs/{job_id}"), ("GET", f"/v1/jobs/{job_id}?wait=1")]:
        assert error_of(client.request(method, path), 404)["type"] == "JobNotFound", (method, path)


def test_too_large_body_gets_413(client, credit_model):
    big = {"model": credit_model, "input": {"values": [WATSON_ROW] * 200_000}}
    error = error_of(client.post("/v1/jobs", json=big), 413)
    assert "BATCHSVC_MAX_JSON_BYTES" in error["message"]


def test_inline_input_lacking_features_is_refused_at_submit(client, credit_model):
    body = {"model": credit_model, "input": {"fields": FIELDS[:18], "values": [WATSON_ROW[:18]]}}
    error = error_of(client.post("/v1/jobs", json=body), 422)
    assert "Telephone" in error["message"] and "ForeignWorker" in error["message"]


def test_an_inline_row_of_the_wrong_length_is_refused_naming_the_row(client, credit_model):
    # Given a table whose second row lacks its last value
    body = {"model": credit_model, "input": {"fields": FIELDS, "values": [WATSON_ROW, WATSON_ROW[:-1]]}}
    # When it is submitted, Then 422 names that row and both lengths
    error = error_of(client.post("/v1/jobs", json=body), 422)
    assert error["field"] == "input.values.1"
    assert error["message"] == "input.values[1] has 19 values but there are 20 fields"


def test_an_unknown_upload_is_404_naming_the_input_field(client, credit_model):
    # When a job names an upload id that was never issued
    body = {"model": credit_model, "input": {"upload": uuid.uuid4().hex}}
    error = error_of(client.post("/v1/jobs", json=body), 404)
    # Then 404 says which input field is at fault
    assert error["type"] == "UploadNotFound" and error["field"] == "input.upload"


@pytest.mark.parametrize("path", ["../../etc/passwd", "/etc/passwd", "sample_data/../pyproject.toml",
                                  "%2e%2e/%2e%2e/etc/passwd", "sample_data/x\x00.csv"])
def test_path_outside_the_data_roots_is_refused_at_submit(client, credit_model, path):
    error = error_of(client.post("/v1/jobs", json={"model": credit_model, "input": {"path": path}}), 422)
    assert error["field"] == "input.path"


def test_symlink_pointing_out_of_a_root_is_refused(client, credit_model, inputs_dir):
    link = inputs_dir / "escape.csv"
    if not link.exists():
        os.symlink("/etc/passwd", link)
    error = error_of(client.post("/v1/jobs", json={"model": credit_model, "input": {"path": str(link)}}), 422)
    assert "outside the data roots" in error["message"]


def test_a_file_that_does_not_exist_is_refused_at_submit(client, credit_model, inputs_dir):
    # Given a path inside a data root where no file is
    path = str(inputs_dir / f"absent-{uuid.uuid4().hex}.csv")
    # When a job names it, Then it is refused at submit, not left to fail in a worker
    error = error_of(client.post("/v1/jobs", json={"model": credit_model, "input": {"path": path}}), 422)
    assert error["type"] == "InputNotFound" and error["field"] == "input.path"


def write(inputs_dir, name: str, data) -> str:
    path = inputs_dir / name
    path.write_bytes(data) if isinstance(data, bytes) else path.write_text(data)
    return str(path)


def test_inline_passthrough_column_missing_names_the_output_field(client, credit_model):
    body = {"model": credit_model, "input": {"fields": FIELDS, "values": [WATSON_ROW]},
            "output": {"passthrough": ["CustomerID"]}}
    error = error_of(client.post("/v1/jobs", json=body), 422)
    assert error["field"] == "output.passthrough" and "CustomerID" in error["message"]


def test_an_unknown_extension_asks_for_the_format(client, credit_model, inputs_dir):
    path = write(inputs_dir, "data.txt", "a,b\n1,2\n")
    error = error_of(client.post("/v1/jobs", json={"model": credit_model, "input": {"path": path}}), 422)
    assert error["field"] == "input.format"
    error = error_of(client.post("/v1/jobs", json={"model": "no-such", "input": {"path": path}}), 404)
    assert error["field"] == "model"


def test_a_wait_over_the_limit_is_a_422_naming_the_parameter(client, credit_model):
    # When a client asks to wait longer than 60 s
    response = client.get("/v1/jobs/anything", params={"wait": 61})
    # Then the API says which parameter and what range
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "wait"


@pytest.mark.parametrize("params, field", [({"status": "sleeping"}, "status"), ({"limit": "lots"}, "limit"),
                                           ({"limit": 501}, "limit"), ({"cursor": "abc"}, "cursor")])
def test_a_bad_list_parameter_is_a_422_naming_it(client, params, field):
    # When jobs are listed with a bad parameter, Then 422 names it
    assert error_of(client.get("/v1/jobs", params=params), 422)["field"] == field
