"""/v1/schedules over HTTP, without a scheduler running: a schedule fired now makes a job that a worker runs.

Records, validation and the fire claim, which need no worker, are tested in process:
tests/unit/test_api_schedules.py.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from harness import wait_job
from schedule_support import make_schedule  # noqa: F401 (fixture)

from batchsvc.scoring.sample import make_credit_risk

BERLIN = ZoneInfo("Europe/Berlin")


def test_run_now_fills_the_template_and_records_the_run(client, credit_model, make_schedule, inputs_dir):
    # Given a schedule reading a file named by the date, and today's file in a data root
    today = datetime.now(BERLIN).strftime("%Y-%m-%d")
    (inputs_dir / "daily").mkdir(exist_ok=True)
    make_credit_risk(20, seed=5).to_csv(inputs_dir / "daily" / f"{today}.csv", index=False)
    schedule = make_schedule({"name": "daily-file", "cron": "0 6 * * *", "timezone": "Europe/Berlin",
                              "job": {"model": credit_model, "input": {"path": f"{inputs_dir}/daily/{{date}}.csv"},
                                      "name": "{schedule} for {date}"}})
    # When it is fired now
    response = client.post(f"/v1/schedules/{schedule['id']}/run")
    # Then a job for today's file runs to completion and the schedule records it
    assert response.status_code == 202, response.text
    job = wait_job(client, response.json()["id"])
    assert job["status"] == "completed" and job["result"]["rows"] == 20
    assert job["name"] == f"daily-file for {today}" and job["schedule_id"] == schedule["id"]
    record = client.get(f"/v1/schedules/{schedule['id']}").json()
    assert record["last_job_id"] == job["id"] and record["next_run_at"] == schedule["next_run_at"]
