"""Pure parts of Azure ML's entry-script contract: requirements an Azure folder declares, and run() called and
answered as azmlinfsrv does (the side-by-side proof against azmlinfsrv itself is tests/test_azure_scripts.py)."""

import json

import numpy as np

from batchsvc.scoring import azure_rawhttp
from batchsvc.scoring.azure_run import INTERNAL, RUN_FAILED, ScoreRequest, call_run
from batchsvc.storage.declared_requirements import declared_requirements


def test_requirements_txt_keeps_requirements_and_drops_comments_and_options():
    text = b"# deps\n-r other.txt\n--index-url https://example.invalid/simple\nnumpy>=1.20  # arrays\n\npandas\n"
    assert declared_requirements({"requirements.txt": text}) == ["numpy>=1.20", "pandas"]


def test_conda_pins_read_as_conda_means_them_and_the_server_packages_are_skipped():
    conda = (b"name: env\ndependencies:\n  - python=3.11\n  - conda-forge::numpy=1.26.4=py311h_0\n  - pandas>=2\n"
             b"  - pip\n  - pip:\n    - azureml-defaults\n    - azureml-inference-server-http==1.4.1\n    - joblib\n")
    found = declared_requirements({"conda.yml": conda, "batchsvc.yaml": b"features: [a]\n", "notes.yaml": b"a: 1\n"})
    assert found == ["numpy==1.26.4.*", "pandas>=2", "joblib"]


def _answer(run, body: bytes = b'{"a": 1}', content_type: str = "application/json"):
    answer = call_run(run, ScoreRequest(body, {"content-type": content_type}))
    return answer.status, json.loads(answer.body), answer.headers["x-ms-run-function-failed"]


def test_run_values_are_json_encoded_as_azmlinfsrv_encodes_them():
    assert _answer(lambda raw_data: json.dumps({"x": 1})) == (200, '{"x": 1}', "False")  # a str: encoded again
    assert _answer(lambda raw_data: None) == (200, {}, "False")
    assert _answer(lambda raw_data: raw_data) == (200, '{"a": 1}', "False")


def test_run_failures_answer_azmlinfsrv_statuses_without_a_trace():
    def raises(raw_data):
        raise KeyError("data")
    assert _answer(raises) == (500, {"message": RUN_FAILED}, "True")
    assert _answer(lambda raw_data: np.arange(3)) == (500, {"message": INTERNAL}, "False")
    failed = call_run(raises, ScoreRequest(b"{}", {}))
    assert "KeyError" in (failed.traceback or "") and b"Traceback" not in failed.body


def test_a_body_that_is_no_utf8_text_is_a_400_naming_it():
    status, body, _ = _answer(lambda raw_data: raw_data, b"\xff\xfe")
    assert status == 400 and body["message"].startswith("Input cannot be decoded as UTF-8")


def test_get_reads_the_query_string_as_azmlinfsrv_does():
    # Given an undecorated run, When GET carries values, a repeated name and text that is no JSON
    answer = call_run(lambda raw_data: json.loads(raw_data), ScoreRequest(b"", {}, "GET", "a=1&b=[1,2]&c=x&c=null"))
    # Then run got them as one JSON string: JSON where it parses, text else, a repeated name as a list
    assert json.loads(answer.body) == {"a": 1, "b": [1, 2], "c": ["x", None]}


def test_a_rawhttp_request_survives_a_host_header_that_is_no_host():
    # Given a request whose Host header werkzeug cannot parse as a URL's host
    asked = ScoreRequest(b"body", {"host": "[::1", "x-tenant": "t"}, "POST", "a=1", "/api/v1/service/s")
    # When Flask's request is built from it
    with azure_rawhttp.flask_request(asked) as request:
        # Then run can read it all, as behind /score
        assert (request.full_path, request.get_data(False), request.headers["X-Tenant"]) == ("/score?a=1", b"body", "t")
        assert request.script_root == "/api/v1/service/s" and request.args["a"] == "1"
