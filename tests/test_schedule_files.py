"""`batchsvc schedules apply DIR`: schedules declared as YAML/TOML files, applied idempotently."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from harness import ROOT, register, wait_job
from schedule_support import events

from batchsvc.errors import InvalidRequest
from batchsvc.scheduling import files as schedule_files
from batchsvc.storage.services import get_services


def apply_cli(env: dict, folder: Path, *extra: str) -> list[str]:
    """Run the real command; its output lines (action, name, ...)."""
    done = subprocess.run([sys.executable, "-m", "batchsvc.cli", "schedules", "apply", str(folder), *extra],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def write_folder(folder: Path, model: str) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "hourly.yaml").write_text(yaml.safe_dump({
        "cron": "5 * * * mon-fri", "timezone": "Europe/Berlin",
        "job": {"model": model, "input": {"path": "sample_data/credit_risk.csv"}}}))
    (folder / "every-ten-minutes.toml").write_text(
        f'interval_s = 600\nenabled = false\n[job]\nmodel = "{model}"\n'
        'input = { path = "sample_data/credit_risk.parquet" }\n')
    return folder


@pytest.fixture
def prune_file_schedules(tmp_path):
    """Remove every file-sourced schedule after the test (apply an empty folder with --prune)."""
    yield
    (tmp_path / "empty").mkdir()
    schedule_files.apply(get_services(), tmp_path / "empty", prune=True)


def test_applying_a_folder_twice_changes_nothing(env, client, credit_model, tmp_path, prune_file_schedules):
    # Given a folder with one YAML and one TOML schedule
    folder = write_folder(tmp_path / "jobs", credit_model)
    # When it is applied, Then both are created, named after their files
    first = apply_cli(env, folder)
    assert [line.split()[:2] for line in first] == [["created", "every-ten-minutes"], ["created", "hourly"]]
    before = {s["id"]: s for s in client.get("/v1/schedules").json()["schedules"] if s["source"] != "api"}
    assert before["file-hourly"]["source"] == "file:hourly.yaml" and before["file-hourly"]["next_run_at"]
    assert before["file-every-ten-minutes"]["enabled"] is False
    # When it is applied again, Then nothing changes: not the records, not their next run, no events
    second = apply_cli(env, folder)
    assert [line.split()[0] for line in second] == ["unchanged", "unchanged"]
    after = {s["id"]: s for s in client.get("/v1/schedules").json()["schedules"] if s["source"] != "api"}
    assert after == before
    assert [e["event"] for e in events(client, "file-hourly")] == ["created"]


def test_a_changed_file_updates_and_a_removed_one_is_pruned(client, credit_model, tmp_path, prune_file_schedules):
    svc = get_services()
    folder = write_folder(tmp_path / "jobs", credit_model)
    schedule_files.apply(svc, folder)
    # When one file changes and the other is removed
    (folder / "hourly.yaml").write_text((folder / "hourly.yaml").read_text().replace("5 *", "10 *"))
    (folder / "every-ten-minutes.toml").unlink()
    # Then without --prune the change is applied and the other stays; with --prune the other goes
    outcomes = schedule_files.apply(svc, folder)
    assert [(o.action, o.schedule_id) for o in outcomes] == [("updated", "file-hourly")]
    assert client.get("/v1/schedules/file-every-ten-minutes").status_code == 200
    outcomes = schedule_files.apply(svc, folder, prune=True)
    assert [(o.action, o.schedule_id) for o in outcomes] == [("unchanged", "file-hourly"),
                                                             ("deleted", "file-every-ten-minutes")]
    assert client.get("/v1/schedules/file-every-ten-minutes").status_code == 404
    assert client.get("/v1/schedules/file-hourly").json()["cron"] == "10 * * * mon-fri"


def test_one_bad_file_applies_nothing_and_names_the_file_and_field(credit_model, tmp_path, prune_file_schedules):
    folder = write_folder(tmp_path / "jobs", credit_model)
    (folder / "broken.yaml").write_text('cron: "0 2 * * 9"\njob: {model: x, input: {path: a.csv}}\n')
    with pytest.raises(InvalidRequest, match=r"broken.yaml: cron: .*out of range"):
        schedule_files.apply(get_services(), folder)
    assert get_services().schedules.find("file-hourly") is None


def test_the_shipped_nightly_example_applies_and_scores_the_sample_data(client, credit_estimator,
                                                                        prune_file_schedules):
    # Given credit-risk registered with the alias production, as the example expects
    version = register(client, "credit-risk", credit_estimator)["version"]
    client.put("/v1/models/credit-risk/aliases/production", json={"version": version})
    # When jobs/ is applied
    outcomes = schedule_files.apply(get_services(), ROOT / "jobs")
    assert [(o.action, o.schedule_id) for o in outcomes] == [("created", "file-nightly-credit-risk")]
    # Then it is due at 02:00 Berlin time, and fired now it scores sample_data/credit_risk.parquet
    schedule = client.get("/v1/schedules/file-nightly-credit-risk").json()
    assert schedule["next_run_at"][11:19] in ("00:00:00", "01:00:00")
    job = wait_job(client, client.post("/v1/schedules/file-nightly-credit-risk/run").json()["id"])
    assert job["status"] == "completed", job["error"]
    assert job["result"]["rows"] == 5000 and job["model"]["version"] == version
