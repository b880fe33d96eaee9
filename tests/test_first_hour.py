"""A new user's first hour (issue 25): the rough edges they hit, each shown fixed against the live API.

The CLI's tables at 80 and 120 columns (rich reads COLUMNS), results at a terminal, the engine a deployment's log
names, a local file outside the data roots, `up`'s banner and Redis, float32 scores in CSV, the engine column.
"""

import io
import json
import os
import pty
import re
import select
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import redis
from click.testing import CliRunner
from harness import ROOT, free_port, register, submit, unique, wait_job

from batchsvc.cli.main import main
from batchsvc.cli.up import banner
from batchsvc.scoring.sample import FIELDS, WATSON_ROW


def run_cli(api_url: str, *args, columns: int | None = None):
    env = {"BATCHSVC_API_URL": api_url, "COLUMNS": str(columns) if columns else None}
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


@pytest.fixture(scope="module")
def own_model(client, credit_estimator) -> str:
    """A model of this module's own, so that `jobs --model` lists only the jobs made here."""
    name = unique("first-hour")
    register(client, name, credit_estimator)
    return name


@pytest.fixture(scope="module")
def done_job(client, own_model) -> dict:
    job = submit(client, {"model": own_model, "input": {"fields": FIELDS, "values": [WATSON_ROW] * 3},
                          "name": "a job with a fairly long name to squeeze the table",
                          "output": {"format": "parquet"}})
    return wait_job(client, job["id"])


@pytest.mark.parametrize("columns", [80, 120])
def test_jobs_shows_whole_ids_statuses_rows_and_seconds_at_80_and_120_columns(api_url, done_job, columns):
    # Given a completed job
    # When `batchsvc jobs` draws its table at 80 or 120 columns
    result = run_cli(api_url, "jobs", "--model", done_job["model"]["name"], "--limit", 5, columns=columns)
    # Then no line is wider than the terminal, and the job's line has its whole id, status, rows and seconds
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= columns
    shown = [line for line in lines if re.search(rf"{done_job['id']}\s+completed\s+3/3\s+\d+\.\d\d", line)]
    assert len(shown) == 1 and "…" not in shown[0].split("completed")[0], result.stdout
    if columns == 80:  # what had no room is named, not squeezed
        assert "left out at 80 columns" in result.stdout


def test_results_at_a_terminal_print_csv_not_parquet_bytes(api_url, done_job):
    # Given a completed job whose results are stored as Parquet
    # When `batchsvc results ID` runs with its stdout on a terminal (a pseudo-terminal)
    primary, secondary = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "batchsvc.cli", "results", done_job["id"], "--url", api_url],
                            stdout=secondary, stderr=subprocess.PIPE, cwd=ROOT)
    os.close(secondary)
    shown = _read_all(primary, proc)
    # Then the terminal shows CSV text (never PAR1 bytes) and stderr says how to get the Parquet file
    assert proc.returncode == 0
    assert b"PAR1" not in shown and shown.splitlines()[0].startswith(b'"prediction"')
    assert "-o results.parquet" in proc.stderr.read().decode()


def _read_all(fd: int, proc: subprocess.Popen) -> bytes:
    data = b""
    while True:
        ready, _, _ = select.select([fd], [], [], 30)
        try:
            chunk = os.read(fd, 65536) if ready else b""
        except OSError:  # the child closed the terminal
            chunk = b""
        if not chunk:
            break
        data += chunk
    proc.wait(timeout=30)
    os.close(fd)
    return data


def test_a_deployments_log_names_the_engine_that_scored_each_request(client, credit_model):
    # Given the credit model, compiled to onnx, deployed twice: as it is (auto) and forced to scikit-learn
    assert client.get(f"/v1/models/{credit_model}/versions/1").json()["engine"]["chosen"] == "onnx"
    names = {engine: unique(f"engine-{engine}") for engine in ("auto", "sklearn")}
    for engine, name in names.items():
        assert client.post("/v1/deployments", json={"name": name, "model": credit_model, "engine": engine}
                           ).status_code == 201
        # When each scores a row
        answer = client.post(f"/v1/deployments/{name}/predictions", json={"records": [dict(zip(FIELDS, WATSON_ROW))]})
        assert answer.status_code == 200, answer.text
    # Then each log names the engine that really scored: onnx, then sklearn
    logged = {e: client.get(f"/v1/deployments/{n}/logs").json()["logs"][0]["engine"] for e, n in names.items()}
    assert logged == {"auto": "onnx", "sklearn": "sklearn"}


def test_a_local_file_outside_the_data_roots_is_uploaded_and_the_cli_says_so(api_url, client, credit_model, tmp_path):
    # Given a CSV in a folder the server does not read
    mine = tmp_path / "my.csv"
    pd.read_parquet(ROOT / "sample_data" / "credit_risk.parquet").head(20).to_csv(mine, index=False)
    # When it is submitted with --input
    result = run_cli(api_url, "submit", "-m", credit_model, "--input", mine, "--wait")
    # Then the CLI uploads it, says so on stderr, and the job completes over its 20 rows
    assert result.exit_code == 0, result.output
    assert f"{mine} is outside the server's data roots: uploaded it instead" in result.stderr
    assert "20 rows" in result.stdout.splitlines()[-1]


def test_the_servers_refusal_of_a_path_outside_the_roots_names_upload(client, credit_model):
    response = client.post("/v1/jobs", json={"model": credit_model, "input": {"path": "/etc/hostname"}})
    assert response.status_code == 422
    assert "batchsvc submit --upload FILE" in response.json()["error"]["message"]


def test_up_takes_a_redis_url_and_its_banner_names_the_console_and_the_redis(tmp_path):
    # Given a free port for Redis and one for the API
    redis_url, port = f"redis://127.0.0.1:{free_port()}/0", free_port()
    env = {**os.environ, "BATCHSVC_DATA_DIR": str(tmp_path)}
    env.pop("BATCHSVC_REDIS_URL", None)
    # When `batchsvc up --redis-url URL` starts
    proc = subprocess.Popen([sys.executable, "-m", "batchsvc.cli", "up", "--redis-url", redis_url, "--port",
                             str(port), "--processes", "1"], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        lines = [proc.stdout.readline() for _ in range(2)]
        while "batchsvc up:" not in lines[-1] and lines[-1]:  # a child may print first
            lines.append(proc.stdout.readline())
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=60)
    # Then it starts a private Redis at that URL and says where the API and its console are
    assert f"no Redis at {redis_url}: starting a private one" in lines[0]
    assert f"the API and the web console at http://127.0.0.1:{port}/" in lines[-1]
    assert f"a private Redis at {redis_url}, started here" in lines[-1]
    # And that Redis stopped with it (nothing of `up` is left running)
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(redis_url, socket_connect_timeout=2).ping()


def test_a_bare_up_says_whose_redis_it_uses():
    # A Redis that answered at the default address, not chosen: the banner says it is not ours, never silently
    text = banner("127.0.0.1", 8000, "redis://127.0.0.1:6379/0", private=False, chosen=False)
    assert "not started by batchsvc" in text and "--redis-url" in text


def test_csv_results_of_the_onnx_engine_carry_no_float32_noise(client, credit_model):
    # Given the onnx-scored predictions of 200 rows, as Parquet (float32 scores, widened) and as CSV
    rows = pd.read_parquet(ROOT / "sample_data" / "credit_risk.parquet").head(200)
    job = wait_job(client, submit(client, {"model": credit_model, "input": {"records": json.loads(
        rows[FIELDS].to_json(orient="records"))}, "output": {"format": "csv"}})["id"])
    csv_text = client.get(f"/v1/jobs/{job['id']}/results").text
    exact = pd.read_parquet(io.BytesIO(client.get(f"/v1/jobs/{job['id']}/results",
                                                  params={"format": "parquet"}).content))
    # Then each CSV probability is the shortest decimal of the engine's float32 (at most 9 significant digits)
    shown = pd.read_csv(io.StringIO(csv_text), dtype=str)
    for column in [c for c in exact.columns if c.startswith("probability_")]:
        for text, value in zip(shown[column], exact[column]):
            assert np.float32(text) == np.float32(value), (text, value)
            assert len(re.sub(r"^0\.0*|\.|e.*$", "", text)) <= 9, text

def test_models_show_has_an_engine_column(api_url, credit_model):
    result = run_cli(api_url, "models", "show", credit_model, columns=160)
    assert result.exit_code == 0, result.output
    header = next(line for line in result.stdout.splitlines() if "VERSION" in line)
    assert "ENGINE" in header and "onnx" in result.stdout



def test_a_table_row_stays_one_line_when_a_cell_holds_newlines():
    # Given an error message with newlines (a code model's traceback), When it is drawn, Then its row is one line
    from io import StringIO

    from rich.console import Console

    from batchsvc.cli.tables import fit_table
    table, _ = fit_table(["ID", "ERROR"], [["a" * 32, "Traceback:\n  line 1\nValueError"]], 1, ["ERROR"], 80, "ERROR")
    console = Console(width=80, file=StringIO())
    console.print(table)
    assert len(console.file.getvalue().splitlines()) == 3  # header, rule, the row
