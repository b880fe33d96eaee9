"""The CLI's newer commands and rough edges: results format by extension, exit codes, passthrough checked at
submit, schedules/jobs/models delete, local times, the same file registered twice."""

import io
import json
import time
import uuid

import joblib
import pandas as pd
import pytest
from click.testing import CliRunner
from harness import wait_job
from schedule_support import inline_job

from batchsvc.cli.main import main
from batchsvc.cli.view import local_time
from batchsvc.scoring.sample import FIELDS, WATSON_ROW


@pytest.fixture
def cli(api_url):
    runner = CliRunner()
    return lambda *args: runner.invoke(main, [str(a) for a in args], env={"BATCHSVC_API_URL": api_url})


@pytest.fixture
def done_job(cli, credit_model, tmp_path) -> str:
    (tmp_path / "one.json").write_text(json.dumps({"fields": FIELDS, "values": [WATSON_ROW]}))
    return cli("submit", "-m", credit_model, "--json", tmp_path / "one.json", "--wait").stdout.split()[0]


@pytest.mark.parametrize("name, reads", [
    ("out.csv", lambda b: pd.read_csv(io.BytesIO(b))),
    ("out.parquet", lambda b: pd.read_parquet(io.BytesIO(b))),
    ("out.jsonl", lambda b: pd.read_json(io.BytesIO(b), lines=True)),
])
def test_results_are_written_in_the_format_of_the_output_files_extension(cli, done_job, tmp_path, name, reads):
    result = cli("results", done_job, "-o", tmp_path / name)
    assert result.exit_code == 0, result.output
    assert len(reads((tmp_path / name).read_bytes())) == 1


def test_format_still_wins_over_the_extension(cli, done_job, tmp_path):
    assert cli("results", done_job, "-o", tmp_path / "out.data", "--format", "csv").exit_code == 0
    assert (tmp_path / "out.data").read_text().startswith('"prediction"')


def test_a_passthrough_column_the_file_lacks_is_refused_at_submit_with_exit_code_4(cli, credit_model):
    result = cli("submit", "-m", credit_model, "--input", "sample_data/credit_risk.parquet",
                 "--passthrough", "NoSuchCol")
    assert result.exit_code == 4, result.output
    assert "NoSuchCol" in result.stderr and "CustomerID" in result.stderr  # it lists the columns there are


def test_passthrough_may_be_a_bare_star(client, credit_model):
    body = {"model": credit_model, "input": {"records": [dict(zip(FIELDS, WATSON_ROW))]},
            "output": {"passthrough": "*"}}
    response = client.post("/v1/jobs", json=body)
    assert response.status_code == 202, response.text
    assert "Age" in wait_job(client, response.json()["id"])["result"]["predictions"]["fields"]


def test_jobs_lists_local_times_and_errors_and_delete_removes_a_job(cli, client, credit_model, done_job):
    failed = client.post("/v1/jobs", json={"model": credit_model, "input": {"records": [{"Age": "x"}]}})
    assert failed.status_code == 422  # refused at submit: the lacking columns are named
    table = cli("jobs", "--status", "completed", "--limit", 5)
    record = client.get(f"/v1/jobs/{done_job}").json()
    assert done_job in table.stdout and local_time(record["created_at"]) in table.stdout
    assert "ERROR" in table.stdout
    assert cli("delete", done_job).exit_code == 0
    assert client.get(f"/v1/jobs/{done_job}").status_code == 404


def test_registering_the_same_file_again_answers_the_existing_version_unless_forced(cli, client, credit_estimator,
                                                                                     tmp_path):
    name = f"same-{uuid.uuid4().hex[:6]}"
    joblib.dump(credit_estimator, tmp_path / "m.joblib")
    assert cli("models", "register", name, tmp_path / "m.joblib").stdout.startswith(f"registered {name} version 1")
    again = cli("models", "register", name, tmp_path / "m.joblib")
    assert again.exit_code == 0 and again.stdout.startswith("unchanged") and "version 1" in again.stdout
    assert cli("models", "register", name, tmp_path / "m.joblib", "--force").stdout.startswith(
        f"registered {name} version 2")
    assert cli("models", "delete", name, 2, "--yes").exit_code == 0
    assert [v["version"] for v in client.get(f"/v1/models/{name}").json()["versions"]] == [1]


def test_a_file_that_is_not_joblib_gets_a_message_a_user_can_act_on(cli, tmp_path):
    (tmp_path / "notes.txt").write_text("not a model")
    result = cli("models", "register", f"bad-{uuid.uuid4().hex[:6]}", tmp_path / "notes.txt")
    assert result.exit_code == 4 and "joblib.dump" in result.stderr and "IndexError" not in result.stderr


def test_an_unknown_model_names_the_cli_command_that_registers_it(cli):
    result = cli("submit", "-m", "no-such-model", "--input", "sample_data/credit_risk.parquet")
    assert result.exit_code == 4 and "batchsvc models register no-such-model" in result.stderr


def test_schedules_list_show_pause_resume_run_delete(cli, client, credit_model):
    name = f"cli-{uuid.uuid4().hex[:6]}"
    created = client.post("/v1/schedules", json={"name": name, "cron": "0 2 * * *", "timezone": "Europe/Berlin",
                                                 "job": inline_job(credit_model)}).json()
    listed = cli("schedules", "list")
    assert name in listed.stdout and "Europe/Berlin" in listed.stdout
    assert local_time(created["next_run_at"]) in listed.stdout
    assert "paused" in cli("schedules", "pause", name).stdout
    assert client.get(f"/v1/schedules/{created['id']}").json()["enabled"] is False
    assert "active" in cli("schedules", "resume", created["id"]).stdout
    job_id = cli("schedules", "run", name).stdout.strip()
    assert wait_job(client, job_id)["schedule_id"] == created["id"]
    shown = cli("schedules", "show", name)
    assert "fired" in shown.stdout and "Europe/Berlin" in shown.stdout
    assert cli("schedules", "delete", name, "--yes").exit_code == 0
    assert cli("schedules", "show", name).exit_code == 4


def test_local_time_labels_its_zone():
    assert local_time("2026-03-01T12:00:00.000Z").endswith(time.strftime("%Z", time.localtime(1772366400)))
