"""batchsvc.client against a scripted server (httpx.MockTransport): error mapping, the wait loop, downloads.

test_server_errors_are_client_errors_with_status_and_body moved here from tests/test_client.py; it runs
against the real app in process. The waits on real jobs stay there.
"""

import io
import json

import httpx
import pandas as pd
import pytest

from batchsvc.client import client as client_module
from batchsvc.client.client import CannotReach, Client, ClientError, JobCanceled, JobFailed, WaitTimeout

URL = "http://batchsvc.test"


def record(status: str, job_id: str = "j1", **extra) -> dict:
    """A job record as the API shows it."""
    return {"id": job_id, "status": status, "progress": {"rows_done": 0, "rows_total": None, "chunks_done": 0,
                                                          "chunks_total": None}, **extra}


def scripted(handler, seen: list | None = None) -> Client:
    """A client whose every request goes to handler(request) -> httpx.Response, noted in seen."""
    def answer(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return handler(request)
    return Client(URL, api_key="bsk_test", transport=httpx.MockTransport(answer))


def error(status: int, type_: str, message: str) -> httpx.Response:
    return httpx.Response(status, json={"error": {"type": type_, "message": message}})


@pytest.fixture
def api(api_url, inproc):
    with Client(api_url, transport=inproc.transport) as c:
        yield c


def test_server_errors_are_client_errors_with_status_and_body(api):
    # When the client asks for a job that does not exist
    with pytest.raises(ClientError) as error:
        api.get("no-such-job")
    # Then the error carries the HTTP status and the server's error body, in one line
    assert error.value.status == 404
    assert error.value.error["type"] == "JobNotFound"
    assert "\n" not in str(error.value)


def test_an_error_answer_carries_the_status_the_body_and_a_one_line_message():
    # Given a server that refuses a cancel with its error body
    with scripted(lambda r: error(409, "Conflict", "job j1 is already completed")) as c:
        # When the client cancels, Then ClientError has the status, the body and both in its message
        with pytest.raises(ClientError) as refused:
            c.cancel("j1")
    assert refused.value.status == 409
    assert refused.value.error == {"type": "Conflict", "message": "job j1 is already completed"}
    assert str(refused.value) == "job j1 is already completed (HTTP 409 Conflict)"


@pytest.mark.parametrize("answer, error_body, message", [
    (httpx.Response(502, text="<html>bad gateway</html>"), {}, "Bad Gateway (HTTP 502 HTTPError)"),
    (httpx.Response(500, json={"error": "boom"}), {"message": "boom"}, "boom (HTTP 500 HTTPError)"),
    (httpx.Response(503, json={"detail": "x"}), {}, "Service Unavailable (HTTP 503 HTTPError)"),
], ids=["not json", "error not an object", "no error key"])
def test_an_error_answer_without_our_error_body_is_named_by_its_status(answer, error_body, message):
    # Given a proxy or a crash answering without batchsvc's error body, Then the status and reason still show
    with scripted(lambda r: answer) as c, pytest.raises(ClientError) as refused:
        c.list_models()
    assert (refused.value.status, refused.value.error, str(refused.value)) == (answer.status_code, error_body, message)


def test_no_answer_is_cannot_reach_naming_the_url_for_calls_and_downloads(tmp_path):
    # Given a server that cannot be connected to
    def refuse(request):
        raise httpx.ConnectError("connection refused", request=request)
    with scripted(refuse) as c:
        # When a call or a download is tried, Then both raise CannotReach naming the URL and the cause
        for attempt in (lambda: c.get("j1"), lambda: c.results("j1", tmp_path / "r.parquet")):
            with pytest.raises(CannotReach) as unreachable:
                attempt()
            assert str(unreachable.value) == f"cannot reach batchsvc at {URL}: connection refused"
    assert not list(tmp_path.iterdir())


def test_the_key_goes_as_a_bearer_token_and_the_idempotency_key_as_its_header():
    # When a client with a key submits with an idempotency key, Then both travel as headers
    seen = []
    with scripted(lambda r: httpx.Response(202, json=record("queued")), seen) as c:
        c.submit("m", {"values": [[1.0]]}, idempotency_key="nightly-1")
    assert seen[0].headers["authorization"] == "Bearer bsk_test"
    assert seen[0].headers["idempotency-key"] == "nightly-1"


def test_a_dataframe_is_submitted_as_fields_and_values_with_the_options_given():
    # Given a DataFrame with numpy values
    frame = pd.DataFrame({"a": [1.5, 2.5], "id": [7, 8]})
    seen = []
    with scripted(lambda r: httpx.Response(202, json=record("queued")), seen) as c:
        # When it is submitted with a passthrough and a format
        job = c.submit("m@production", frame, passthrough=["id"], output_format="csv", max_bad_rows=0)
    # Then the body is the API's table input, and only the options given are sent
    assert json.loads(seen[0].content) == {"model": "m@production",
                                           "input": {"fields": ["a", "id"], "values": [[1.5, 7], [2.5, 8]]},
                                           "output": {"format": "csv", "passthrough": ["id"]}, "max_bad_rows": 0}
    assert job.id == "j1" and job.status == "queued"


def test_submit_takes_exactly_one_input_and_sends_nothing_otherwise():
    # When a submit names no input, or two, Then it is refused before any request
    seen = []
    with scripted(lambda r: httpx.Response(500), seen) as c:
        for given in ({}, {"input": {"values": [[1]]}, "path": "x.csv"}):
            with pytest.raises(ClientError, match="give exactly one of input, path or file"):
                c.submit("m", **given)
    assert seen == []


def test_wait_holds_long_polls_until_the_job_finishes():
    # Given a job that the server reports running once, then completed
    answers = iter([record("running"), record("completed", result={"rows": 3})])
    seen = []
    with scripted(lambda r: httpx.Response(200, json=next(answers)), seen) as c:
        # When the client waits with no callback
        job = client_module.Job(c, record("queued")).wait()
    # Then each request was a 30 s long poll on the job, and wait returned the completed job
    assert [(r.url.path, r.url.params["wait"]) for r in seen] == [("/v1/jobs/j1", "30")] * 2
    assert job.status == "completed" and job.result == {"rows": 3}


def test_wait_with_on_progress_polls_each_second_and_reports_every_record():
    # Given a job that moves from 10 to 20 rows, then completes with 30
    answers = iter([record("running", progress={"rows_done": 10}), record("running", progress={"rows_done": 20}),
                    record("completed", progress={"rows_done": 30})])
    seen, reported = [], []
    # When the client waits with a progress callback
    with scripted(lambda r: httpx.Response(200, json=next(answers)), seen) as c:
        client_module.Job(c, record("queued")).wait(on_progress=lambda j: reported.append(j.progress["rows_done"]))
    # Then the polls are short (1 s) and the callback saw every record
    assert reported == [0, 10, 20, 30]  # the record before the first poll, then one per answer
    assert [r.url.params["wait"] for r in seen] == ["1", "1", "1"]


def test_a_finished_job_waits_for_nothing():
    # Given a job already completed, When it is waited for, Then no request is made
    seen = []
    with scripted(lambda r: httpx.Response(500), seen) as c:
        assert client_module.Job(c, record("completed")).wait().status == "completed"
    assert seen == []


@pytest.mark.parametrize("status, raised", [("failed", JobFailed), ("canceled", JobCanceled)])
def test_a_job_that_did_not_complete_raises_with_the_server_s_error(status, raised):
    # Given a job that ends failed or canceled with the server's error
    failure = {"type": "SchemaError", "message": "column Age, row 3: 'x' is not a number"}
    with scripted(lambda r: httpx.Response(200, json=record(status, error=failure))) as c:
        # When it is waited for, Then the exception carries that error and the final job
        with pytest.raises(raised) as ended:
            client_module.Job(c, record("running")).wait()
    assert ended.value.error == failure and ended.value.job.status == status
    assert str(ended.value) == f"job j1 {status}: SchemaError: column Age, row 3: 'x' is not a number"


class Clock:
    """A monotonic clock that moves only when the scripted server holds a request."""

    def __init__(self):
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now


def test_a_wait_with_a_timeout_holds_no_longer_than_what_is_left_then_raises(monkeypatch):
    # Given a server that holds each long poll for all its seconds and the job stays running
    clock = Clock()
    monkeypatch.setattr(client_module, "time", clock)

    def hold(request):
        clock.now += int(request.url.params["wait"])
        return httpx.Response(200, json=record("running"))
    seen = []
    with scripted(hold, seen) as c:
        # When the client waits at most 45 s
        with pytest.raises(WaitTimeout) as late:
            client_module.Job(c, record("queued")).wait(timeout=45)
    # Then it asked for 30 s, then the 15 s left, and then gave up naming the job and its status
    assert [r.url.params["wait"] for r in seen] == ["30", "15"]
    assert str(late.value) == "job j1 is still running after 45 s"


def test_list_follows_the_next_cursor_until_the_limit():
    # Given a server with pages of two jobs
    pages = {None: (["a", "b"], "2"), "2": (["c", "d"], "4"), "4": (["e", "f"], "6")}

    def page(request):
        ids, cursor = pages[request.url.params.get("cursor")]
        ids = ids[:int(request.url.params["limit"])]
        return httpx.Response(200, json={"jobs": [record("queued", i) for i in ids], "next_cursor": cursor})
    seen = []
    # When five queued jobs are listed
    with scripted(page, seen) as c:
        jobs = c.list(status="queued", limit=5)
    # Then the client followed each next_cursor, asking only for the jobs still wanted
    assert [j.id for j in jobs] == ["a", "b", "c", "d", "e"]
    assert [dict(r.url.params) for r in seen] == [{"status": "queued", "limit": "5"},
                                                  {"status": "queued", "cursor": "2", "limit": "3"},
                                                  {"status": "queued", "cursor": "4", "limit": "1"}]


def results_server(content: bytes, seen: list):
    def serve(request):
        seen.append(request)
        if request.url.path != "/v1/jobs/j1/results":
            return error(404, "JobNotFound", "no job")
        return httpx.Response(200, content=content)
    return Client(URL, api_key="k", transport=httpx.MockTransport(serve))


def test_results_stream_to_a_file_under_its_final_name(tmp_path):
    # Given results larger than one download block
    content = bytes(range(256)) * (3 * 2**12 + 7)
    seen = []
    with results_server(content, seen) as c:
        # When they are downloaded to a path in another format
        path = c.results("j1", tmp_path / "scores.csv", format="csv")
    # Then the file holds every byte, under its final name, with no part file left
    assert path == tmp_path / "scores.csv" and path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scores.csv"]
    assert dict(seen[0].url.params) == {"format": "csv"}


def test_a_refused_download_leaves_no_file(tmp_path):
    # When the server refuses a download, Then ClientError has its status and no file or part is left
    with results_server(b"", []) as c, pytest.raises(ClientError) as refused:
        c.results("other", tmp_path / "scores.parquet")
    assert refused.value.status == 404 and not list(tmp_path.iterdir())


def test_results_without_a_path_come_back_as_a_dataframe():
    # Given Parquet results, When they are fetched with no path, Then they come back as the same frame
    frame = pd.DataFrame({"CustomerID": [7, 8], "prediction": ["Risk", "No Risk"]})
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    with results_server(buffer.getvalue(), []) as c:
        pd.testing.assert_frame_equal(c.results("j1"), frame)


def test_the_bad_rows_list_comes_back_as_a_dataframe_of_json_lines():
    # Given a job's bad-rows list, When it is fetched with errors=True, Then it is read as JSON lines
    lines = b'{"row": 9, "line": 10, "column": "Age", "value": "x", "error": "not a number"}\n'
    seen = []
    with results_server(lines, seen) as c:
        bad = c.results("j1", errors=True)
    assert bad.to_dict(orient="records") == [{"row": 9, "line": 10, "column": "Age", "value": "x",
                                              "error": "not a number"}]
    assert dict(seen[0].url.params) == {"format": "jsonl", "errors": "true"}
