"""The client commands through click's runner against the live API: output, progress and exit codes."""

import json

import joblib
import pytest
from click.testing import CliRunner
from harness import free_port
from inputs import LONG_JOB_CHUNK_ROWS, credit_parquet

from batchsvc.cli.main import main
from batchsvc.client.client import Client, ClientError
from batchsvc.scoring.sample import FIELDS, WATSON_ROW


@pytest.fixture
def cli(api_url):
    """Run `batchsvc ARGS` in this process, talking to the test API."""
    runner = CliRunner()
    return lambda *args: runner.invoke(main, [str(a) for a in args], env={"BATCHSVC_API_URL": api_url})


def test_submit_wait_shows_progress_and_exits_0_when_the_job_completes(cli, credit_model, inputs_dir):
    # Given a 200,000-row file the server can read
    path = credit_parquet(inputs_dir)
    # When it is submitted with --wait
    result = cli("submit", "--model", credit_model, "--input", path, "--chunk-size", LONG_JOB_CHUNK_ROWS,
                 "--passthrough", "CustomerID", "--wait")
    # Then stdout has the job id then a one-line summary, stderr the progress bar, and the exit code is 0
    assert result.exit_code == 0, result.output
    job_id, summary = result.stdout.splitlines()[0], result.stdout.splitlines()[-1]
    assert len(job_id) == 32
    assert summary.startswith(f"completed {job_id}: 200,000 rows (0 bad)")
    assert "200,000/200,000 rows" in result.stderr and "rows/s" in result.stderr and "ETA" in result.stderr


def test_submit_wait_exits_1_with_the_servers_error_on_stderr_when_the_job_fails(cli, credit_model, tmp_path):
    # Given inline input (a --json file) whose LoanDuration is not a number
    row = list(WATSON_ROW)
    row[FIELDS.index("LoanDuration")] = "thirteen"
    (tmp_path / "bad.json").write_text(json.dumps({"fields": FIELDS, "values": [row]}))
    # When it is submitted with --wait
    result = cli("submit", "-m", credit_model, "--json", tmp_path / "bad.json", "--wait")
    # Then the exit code is 1 and stderr says why, naming the column, without a traceback
    assert result.exit_code == 1, result.output
    job_id = result.stdout.splitlines()[0]
    assert f"failed {job_id}: SchemaError: column LoanDuration" in result.stderr
    assert "Traceback" not in result.output


def test_status_watch_exits_3_for_a_canceled_job(cli, api_url, credit_model, inputs_dir):
    # Given a long job canceled at once
    with Client(api_url) as c:
        job = c.submit(credit_model, path=str(credit_parquet(inputs_dir)), chunk_size=LONG_JOB_CHUNK_ROWS)
        try:
            c.cancel(job.id)
        except ClientError:
            pytest.skip("the job finished before it could be canceled")
    # When its status is watched
    result = cli("status", job.id, "--watch")
    # Then the exit code is 3 and stderr says it was canceled
    assert result.exit_code == 3, result.output
    assert f"canceled {job.id}" in result.stderr


def test_read_commands_print_json_with_json(cli, credit_model, tmp_path):
    # Given a completed inline job
    (tmp_path / "one.json").write_text(json.dumps({"fields": FIELDS, "values": [WATSON_ROW]}))
    job_id = cli("submit", "-m", credit_model, "--json", tmp_path / "one.json", "--wait").stdout.split()[0]
    # When status, jobs, events and models are read with --json
    status = json.loads(cli("status", job_id, "--json").stdout)
    jobs = json.loads(cli("jobs", "--status", "completed", "--limit", 5, "--json").stdout)
    events = json.loads(cli("events", job_id, "--json").stdout)
    models = json.loads(cli("models", "list", "--json").stdout)
    shown = json.loads(cli("models", "show", credit_model, "--json").stdout)
    # Then each is the API's JSON
    assert status["status"] == "completed" and status["id"] == job_id
    assert job_id in [j["id"] for j in jobs]
    assert [e["event"] for e in events][0] == "queued" and events[-1]["event"] == "completed"
    assert credit_model in [m["name"] for m in models]
    assert shown["versions"][0]["features"] == FIELDS


def test_jobs_shows_a_table_and_results_writes_a_file(cli, credit_model, tmp_path):
    # Given a completed inline job
    (tmp_path / "one.json").write_text(json.dumps({"fields": FIELDS, "values": [WATSON_ROW]}))
    job_id = cli("submit", "-m", credit_model, "--json", tmp_path / "one.json", "--wait").stdout.split()[0]
    # When the jobs are listed and the results fetched as CSV to a file
    table = cli("jobs", "--limit", 3)
    result = cli("results", job_id, "-o", tmp_path / "out.csv", "--format", "csv")
    # Then the table shows the job and the file holds the header and one row
    assert job_id in table.stdout and "completed" in table.stdout
    assert result.exit_code == 0, result.output
    assert len((tmp_path / "out.csv").read_text().splitlines()) == 2


def test_models_register_with_an_alias_then_list_and_show(cli, credit_estimator, tmp_path):
    # Given a joblib file
    joblib.dump(credit_estimator, tmp_path / "m.joblib")
    # When it is registered with an alias
    result = cli("models", "register", "cli-credit", tmp_path / "m.joblib", "--alias", "production",
                 "--description", "from the CLI test")
    # Then the command says which version it made, and list and show know the alias
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("registered cli-credit version ")
    assert "production" in cli("models", "list").stdout
    assert "from the CLI test" in cli("models", "show", "cli-credit").stdout


def test_a_refused_request_is_one_line_on_stderr_with_exit_code_4(cli):
    # When the status of an unknown job is asked for
    result = cli("status", "no-such-job")
    # Then stderr has one line with the server's message and the exit code is 4 (a client error, not the server's)
    assert result.exit_code == 4
    assert result.stderr == "error: no job 'no-such-job' (HTTP 404 JobNotFound)\n"


def test_an_unreachable_server_gets_cannot_reach_and_no_traceback():
    # Given a URL where nothing listens
    url = f"http://127.0.0.1:{free_port()}"
    # When a command runs against it
    result = CliRunner().invoke(main, ["jobs"], env={"BATCHSVC_API_URL": url})
    # Then one line names the URL
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: cannot reach batchsvc at {url}: ")
    assert "Traceback" not in result.output


def test_submit_a_jobs_file_runs_its_job_once_now(cli, client, credit_model, tmp_path):
    # Given a schedule file like the shipped jobs/ example, naming this test's model
    (tmp_path / "nightly.yaml").write_text(
        f'name: nightly\ncron: "0 2 * * *"\njob:\n  model: {credit_model}\n'
        "  input:\n    path: sample_data/credit_risk.parquet\n  name: \"{schedule} {date}\"\n")
    # When it is submitted with the CLI
    result = cli("submit", tmp_path / "nightly.yaml", "--wait")
    # Then its job runs now, with the placeholders filled, and completes
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1].startswith("completed")
    assert "5,000 rows" in result.stdout.splitlines()[-1]
    job = client.get(f"/v1/jobs/{result.stdout.splitlines()[0]}").json()
    assert job["name"].startswith("nightly 20") and "{" not in job["name"]


def test_models_alias_points_an_alias_at_an_existing_version(cli, client, credit_estimator, tmp_path):
    joblib.dump(credit_estimator, tmp_path / "m.joblib")
    name = f"alias-{tmp_path.name[-6:]}".replace("_", "-")
    assert cli("models", "register", name, tmp_path / "m.joblib").exit_code == 0
    assert cli("models", "register", name, tmp_path / "m.joblib").exit_code == 0
    result = cli("models", "alias", name, "production", 1)
    assert result.exit_code == 0 and result.stdout.strip() == f"{name}@production -> version 1"
    assert client.get(f"/v1/models/{name}").json()["aliases"] == {"production": 1}
