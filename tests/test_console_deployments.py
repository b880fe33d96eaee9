"""The console's deployments pages and the job page's newer facts, in headless chromium (as test_console.py):
a deployment's state, served version, scoring URL, recent requests with their errors and a try-it form that scores
through the deployment; a job's input, engine, rows/s and duration even when it took milliseconds."""

import re
import subprocess

from browser import CHROMIUM, shot
from harness import submit, unique, wait_job
from playwright.sync_api import expect

from batchsvc.scoring.sample import FIELDS, WATSON_ROW


def test_a_deployment_is_listed_then_its_page_scores_a_row_and_shows_the_requests(page, api_url, client,
                                                                                  credit_model):
    # Given a deployment of the credit model, and one request it refused (a value that is not a number)
    name = unique("console-dep")
    assert client.post("/v1/deployments", json={"name": name, "model": credit_model}).status_code == 201
    bad = dict(zip(FIELDS, WATSON_ROW), LoanAmount="lots")
    assert client.post(f"/v1/deployments/{name}/predictions", json={"records": [bad]}).status_code == 422
    # When the Deployments tab is opened
    page.goto(f"{api_url}/#/deployments")
    row = page.locator(f"#deployment-{name}")
    # Then its row shows it ready, the version it serves and its scoring URL
    expect(row).to_contain_text("ready")
    expect(row).to_contain_text(f"{credit_model}@1")
    expect(row).to_contain_text(f"{api_url}/v1/deployments/{name}/predictions")
    # When its page is opened and the try-it form scores the sample row
    row.get_by_role("link", name=name).click()
    expect(page.locator(".scoring-url")).to_have_text(f"{api_url}/v1/deployments/{name}/predictions")
    page.get_by_role("button", name="Score this row").click()
    expect(page.locator(".predicted")).not_to_be_empty()
    # Then the recent requests show the scored row (200, the onnx engine) above the refused one with its error
    requests = page.locator("table.logs tbody tr")
    expect(requests).to_have_count(2)
    expect(requests.nth(0)).to_contain_text("200")
    expect(requests.nth(0)).to_contain_text("onnx")
    expect(requests.nth(1)).to_contain_text("422")
    expect(requests.nth(1)).to_contain_text("LoanAmount")
    shot(page, "deployment", full_page=True)
    # And the answer shown is the deployment's own for that row
    logs = client.get(f"/v1/deployments/{name}/logs").json()["logs"]
    assert [e["status"] for e in logs] == [200, 422]


def test_a_failed_deployment_says_why(page, api_url, client, credit_estimator):
    # Given a deployment whose only model version is then deleted
    from harness import register
    model = unique("gone")
    register(client, model, credit_estimator)
    name = unique("console-failed")
    assert client.post("/v1/deployments", json={"name": name, "model": model}).status_code == 201
    assert client.delete(f"/v1/models/{model}/versions/1").status_code == 204
    # When its page is opened, Then it shows failed with the reason naming the model
    page.goto(f"{api_url}/#/deployments/{name}")
    expect(page.locator(".head .badge")).to_contain_text("failed")
    expect(page.locator(".errorbox")).to_contain_text(model)


def test_a_jobs_page_shows_its_input_its_engine_and_a_rate_even_for_a_fast_job(page, api_url, client, credit_model):
    # Given a completed inline job of 200 rows (scored in milliseconds)
    job = wait_job(client, submit(client, {"model": credit_model, "input": {"fields": FIELDS,
                                                                            "values": [WATSON_ROW] * 200}})["id"])
    assert job["status"] == "completed" and job["engine"] == "onnx"
    # When its page is opened
    page.goto(f"{api_url}/#/jobs/{job['id']}")
    facts = page.locator(".facts")
    # Then it names the input and the engine, and shows rows per second and how long it took
    expect(facts).to_contain_text("inline: 200 rows")
    expect(facts).to_contain_text("onnx")
    progress = page.locator(".job .card p.muted").first
    expect(progress).to_contain_text(re.compile(r"[\d,]+/s · took (\d+ ms|[\d.]+ s)"))
    expect(progress).not_to_contain_text("–/s")
    assert "took 0.0 s" not in progress.inner_text()


def test_a_file_jobs_page_names_its_file(page, api_url, client, credit_model):
    job = wait_job(client, submit(client, {"model": credit_model,
                                           "input": {"path": "sample_data/credit_risk.parquet"}})["id"])
    page.goto(f"{api_url}/#/jobs/{job['id']}")
    expect(page.locator(".facts")).to_contain_text("sample_data/credit_risk.parquet (parquet)")


def test_a_headless_browser_gets_the_page_drawn_by_its_load_event(api_url, client, credit_model):
    # Given a completed job
    job = wait_job(client, submit(client, {"model": credit_model, "input": {"values": [WATSON_ROW]}})["id"])
    # When chromium's own headless mode dumps the jobs page and the job's page, with no virtual time
    for url, drawn in ((f"{api_url}/", f'id="job-{job["id"]}"'), (f"{api_url}/#/jobs/{job['id']}", "Record")):
        dom = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", url],
                             capture_output=True, text=True, timeout=120).stdout
        # Then the view is drawn by the load event (what a --screenshot captures), not "Loading…"
        assert drawn in dom and "Loading…" not in dom, dom[-2000:]
