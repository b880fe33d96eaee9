"""The Python client against the live API: waiting through the long poll, failures, results, no server.

Error mapping, the wait loop and downloads against a scripted server: tests/unit/test_python_client.py.
"""

import time
from datetime import datetime

import pandas as pd
import pytest
from harness import free_port
from inputs import credit_parquet, long_job

from batchsvc.client.client import CannotReach, Client, JobFailed
from batchsvc.scoring.sample import FIELDS, WATSON_ROW

PROMPT_S = 1.0  # a long poll holds up to 30 s; "promptly" is well under a second after the job ends


@pytest.fixture
def api(api_url):
    with Client(api_url) as c:
        yield c


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def test_wait_returns_promptly_once_a_running_job_finishes(api, credit_model, inputs_dir):
    # Given a job that scores a 200,000-row file in 20 chunks
    job = api.submit_body(long_job(credit_model, credit_parquet(inputs_dir)))
    # When the client waits with no progress callback (one long poll held by the server)
    began = time.time()
    job.wait()
    returned = time.time()
    # Then the job finished while the wait was held, and wait() returned right after it did
    finished = _epoch(job.record["finished_at"])
    assert job.status == "completed"
    assert finished > began, "the job ended before the wait began; the test proved nothing"
    assert returned - finished < PROMPT_S


def test_wait_with_on_progress_reports_rows_until_the_total(api, credit_model, inputs_dir):
    # Given a multi-chunk job and a callback that records the rows done
    seen = []
    job = api.submit_body(long_job(credit_model, credit_parquet(inputs_dir)))
    # When the client waits with the callback
    job.wait(on_progress=lambda j: seen.append(j.progress["rows_done"]))
    # Then the callback saw the rows grow, never shrink, up to every row of the input
    assert seen == sorted(seen)
    assert seen[-1] == job.progress["rows_total"] == 200_000


def test_a_failed_job_raises_jobfailed_carrying_the_servers_error(api, credit_model):
    # Given inline input whose LoanDuration is not a number
    row = list(WATSON_ROW)
    row[FIELDS.index("LoanDuration")] = "thirteen"
    job = api.submit(credit_model, {"fields": FIELDS, "values": [row]})
    # When the client waits for it
    with pytest.raises(JobFailed) as failed:
        job.wait(timeout=60)
    # Then the exception carries the server's error, naming the column
    assert failed.value.error["type"] == "SchemaError"
    assert "LoanDuration" in failed.value.error["message"]
    assert failed.value.job.status == "failed"


def test_results_stream_to_a_file_or_come_back_as_a_dataframe(api, credit_model, tmp_path):
    # Given a completed job over a small DataFrame with a passthrough id
    frame = pd.DataFrame([WATSON_ROW, WATSON_ROW], columns=FIELDS).assign(CustomerID=[7, 8])
    job = api.submit(credit_model, frame, passthrough=["CustomerID"], output_format="csv").wait(timeout=60)
    # When its results are fetched to a path, and as a DataFrame
    path = api.results(job.id, tmp_path / "scores.csv")
    df = api.results(job.id)
    # Then the file is complete under its final name and the frame has the rows in order
    assert path.read_text().splitlines()[0].startswith('"CustomerID","prediction"')
    assert not list(tmp_path.glob(".*.part"))
    assert df["CustomerID"].tolist() == [7, 8]
    assert {"prediction", "probability_Risk", "probability_No Risk"} <= set(df.columns)


def test_an_unreachable_server_is_cannot_reach_naming_the_url():
    # Given a URL where nothing listens
    url = f"http://127.0.0.1:{free_port()}"
    # When the client calls it
    with Client(url) as c, pytest.raises(CannotReach) as error:
        c.list()
    # Then the message names the URL
    assert str(error.value).startswith(f"cannot reach batchsvc at {url}: ")
