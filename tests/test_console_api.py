"""The API behind the console: the summary it polls, run again, a version's categories and sample row."""

from harness import submit, wait_job

from batchsvc.scoring.sample import CATEGORIES, FIELDS, WATSON_ROW


def test_the_summary_names_the_caller_and_holds_a_page_of_jobs(client, credit_model):
    job = wait_job(client, submit(client, {"model": credit_model, "input": {"values": [WATSON_ROW]}})["id"])
    summary = client.get("/v1/console/summary", params={"model": credit_model, "limit": 5}).json()
    assert summary["principal"] == {"name": None, "role": "admin"} and summary["auth"] is False
    assert summary["workers"] >= 1 and job["id"] in [j["id"] for j in summary["jobs"]]
    assert client.get("/v1/console/summary", params={"status": "bogus"}).status_code == 422


def test_run_again_submits_the_same_spec_as_a_new_job(client, credit_model):
    first = wait_job(client, submit(client, {"model": credit_model, "input": {"values": [WATSON_ROW]},
                                             "name": "again", "output": {"format": "csv"}})["id"])
    response = client.post(f"/v1/jobs/{first['id']}/rerun")
    assert response.status_code == 202, response.text
    second = wait_job(client, response.json()["id"])
    assert second["id"] != first["id"] and second["name"] == "again" and second["model"] == first["model"]
    assert second["result"]["format"] == "csv" and second["result"]["predictions"] == first["result"]["predictions"]


def test_a_version_records_the_categories_the_model_knows_and_a_sample_row(client, credit_model):
    version = client.get(f"/v1/models/{credit_model}/versions/1").json()
    assert version["categories"]["Sex"] == sorted(CATEGORIES["Sex"])
    assert set(version["sample"]) == set(FIELDS) and version["sample"]["Sex"] in CATEGORIES["Sex"]
    assert isinstance(version["sample"]["Age"], int) and 19 <= version["sample"]["Age"] <= 74
    assert "Age" in version["numeric_features"] and "Sex" not in version["numeric_features"]


def test_a_reader_sees_its_role_and_may_not_run_a_job_again(secure):
    with secure.client("alice") as alice:
        job = submit(alice, {"model": secure.model, "input": {"values": [[1.0]]}})
    with secure.client("reader") as reader:
        assert reader.get("/v1/console/summary").json()["principal"] == {"name": "reader", "role": "reader"}
        assert reader.post(f"/v1/jobs/{job['id']}/rerun").status_code == 403
    with secure.client(None) as nobody:
        assert nobody.get("/v1/console/summary").status_code == 401
