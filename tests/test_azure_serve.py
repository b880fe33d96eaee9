"""`batchsvc serve FOLDER`: one entry script served locally as azmlinfsrv serves it, no Redis; an edit to score.py or
a file beside it is picked up by the next request, and broken code is shown, not fatal."""

import os

import httpx
import pytest
from azmlinfsrv import SAMPLES
from harness import Process, free_port, wait_for

SCORE = '''import json
import os

from helpers import greeting

VERSION = {version}


def init():
    print("serve test: init")


def run(raw_data):
    import lazy  # imported at call time: found through sys.path, as on azmlinfsrv

    return {{"version": VERSION, "greeting": greeting(), "data": json.loads(raw_data)["data"], "lazy": lazy.WORD,
            "model_dir": os.getenv("AZUREML_MODEL_DIR")}}
'''
HELPERS = 'def greeting():\n    return "{word}"\n'


@pytest.fixture
def served(tmp_path):
    """A folder with score.py and helpers.py, served by `batchsvc serve` on a free loopback port (no Redis)."""
    folder = tmp_path / "app"
    folder.mkdir()
    (folder / "score.py").write_text(SCORE.format(version=1))
    (folder / "helpers.py").write_text(HELPERS.format(word="hello"))
    (folder / "lazy.py").write_text('WORD = "first"\n')
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BATCHSVC_")}
    env["BATCHSVC_REDIS_URL"] = "redis://127.0.0.1:1/0"  # nobody answers there: serve must not need Redis
    server = Process(["serve", str(folder), "--port", str(port)], env, tmp_path / "serve.log")
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: _get(url + "/") == "Healthy", 60, 0.1, "batchsvc serve to answer Healthy")
    yield folder, url, tmp_path / "serve.log"
    server.stop()


def _get(url: str) -> str | None:
    try:
        return httpx.get(url, timeout=2).text
    except httpx.TransportError:
        return None


def score(url: str) -> httpx.Response:
    return httpx.post(url + "/score", json={"data": [1, 2]}, timeout=10)


def test_serve_answers_as_azmlinfsrv_and_picks_up_edits(served):
    folder, url, log = served
    # Given the script served locally
    first = score(url)
    assert first.status_code == 200 and first.json() == {"version": 1, "greeting": "hello", "data": [1, 2],
                                                         "lazy": "first", "model_dir": str(folder.resolve())}
    assert first.headers["x-ms-run-function-failed"] == "False"
    # When score.py is edited, then the file beside it
    (folder / "score.py").write_text(SCORE.format(version=2))
    wait_for(lambda: score(url).json()["version"] == 2, 10, 0.1, "the edit to score.py")
    (folder / "helpers.py").write_text(HELPERS.format(word="bonjour"))
    # Then the next requests run the new code, init again included
    wait_for(lambda: score(url).json()["greeting"] == "bonjour", 10, 0.1, "the edit to helpers.py")
    (folder / "lazy.py").write_text('WORD = "second"\n')
    wait_for(lambda: score(url).json()["lazy"] == "second", 10, 0.1, "the edit to a module run imports")
    assert log.read_text().count("serve test: init") >= 3


def test_broken_code_is_shown_and_the_server_lives_on(served):
    folder, url, log = served
    # When score.py is saved with a syntax error
    (folder / "score.py").write_text("def init(:\n")
    broken = wait_for(lambda: (r := score(url)).status_code == 503 and r, 10, 0.1, "the broken code to show")
    # Then requests say why (the traceback goes to the terminal), and the server still answers
    assert "SyntaxError" in broken.json()["message"]
    assert "Traceback" in log.read_text() and _get(url + "/") == "Healthy"
    # And a fix is picked up as any edit
    (folder / "score.py").write_text(SCORE.format(version=3))
    wait_for(lambda: score(url).status_code == 200 and score(url).json()["version"] == 3, 10, 0.1, "the fix")


def test_serve_runs_a_rawhttp_script_on_get_and_post(served):
    folder, url, _ = served
    # Given Azure's @rawhttp sample saved over score.py
    (folder / "score.py").write_text((SAMPLES / "rawhttp" / "score.py").read_text())
    # When it is called with GET and a query string, then POST with bytes
    got = wait_for(lambda: (r := httpx.get(url + "/score?a=1&b=x", timeout=10)).status_code == 200 and r, 10, 0.1,
                   "the rawhttp script")
    posted = httpx.post(url + "/score", content=b"\x00raw", headers={"X-Tenant": "contoso"}, timeout=10)
    # Then run read Flask's request and its AMLResponse was sent as it is
    assert got.content == b"/score?a=1&b=x" and got.headers["access-control-allow-origin"] == "http://www.example.com"
    assert posted.content == b"\x00raw" and posted.headers["content-type"] == "application/octet-stream"
    assert posted.headers["x-tenant"] == "contoso" and posted.headers.get_list("vary") == ["Accept", "X-Tenant"]


def test_serve_answers_options_and_request_ids_on_every_path(served):
    _, url, _ = served
    # When OPTIONS goes to /score, and the health and swagger paths get request ids
    options = httpx.options(url + "/score", timeout=10)
    ids = {"x-request-id": "req-1", "TraceId": "trace-1"}
    health, swagger = (httpx.get(url + path, headers=ids, timeout=10) for path in ("/", "/swagger.json"))
    too_long = httpx.get(url + "/", headers={"x-request-id": "r" * 101}, timeout=10)
    # Then, as azmlinfsrv: 200 and an empty body for OPTIONS, the ids answered on each path, 431 for a long one
    assert (options.status_code, options.content, options.headers["x-ms-run-function-failed"]) == (200, b"", "False")
    for answer in (health, swagger):
        assert answer.status_code == 200 and answer.headers["x-request-id"] == "req-1"
        assert answer.headers["x-ms-request-id"] == "req-1" and answer.headers["traceid"] == "trace-1"
    assert too_long.status_code == 431 and "x-request-id" in too_long.json()["message"]
