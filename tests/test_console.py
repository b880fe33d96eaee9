"""The web console in a real headless browser (Debian's chromium driven by Playwright): live jobs, a job's page,
cancel, download, schedules, the try-it form and the roles. Screenshots go to $CONSOLE_SCREENSHOTS if set."""

import re
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from browser import PHONE, shot
from harness import register_slow, submit, wait_job
from playwright.sync_api import expect
from schedule_support import inline_job

from batchsvc.scoring.sample import CATEGORIES, FIELDS

ROWS, CHUNK = 2_000, 100  # 20 chunks of SlowSum: seconds of running that the page sees move


@pytest.fixture(scope="module")
def slow_model(client) -> str:
    return register_slow(client, "slow", 0.4)


@pytest.fixture(scope="module")
def numbers(inputs_dir) -> Path:
    frame = pd.DataFrame({"id": np.arange(ROWS), "a": np.arange(ROWS) * 1.0, "b": np.ones(ROWS)})
    path = inputs_dir / "console-numbers.parquet"
    frame.to_parquet(path, row_group_size=CHUNK)
    return path


def slow_job(client, model: str, path: Path, name: str) -> dict:
    return submit(client, {"model": model, "input": {"path": str(path)}, "chunk_size": CHUNK, "name": name,
                           "output": {"passthrough": ["id"]}})


def test_the_jobs_table_shows_a_multi_chunk_job_run_to_completion_without_reload(page, api_url, client, slow_model,
                                                                                 numbers):
    # Given the console open on the jobs table
    page.goto(f"{api_url}/")
    expect(page.get_by_role("heading", name="Jobs")).to_be_visible()
    page.evaluate("window.notReloaded = true")
    # When a 20-chunk job is submitted
    job = slow_job(client, slow_model, numbers, f"live-{uuid.uuid4().hex[:6]}")
    row = page.locator(f"#job-{job['id']}")
    # Then its row shows it running, then completed with every row done, in the same page
    expect(row.locator(".badge")).to_contain_text("running")
    shot(page, "jobs")
    expect(row.locator(".badge")).to_contain_text("completed")
    expect(row.locator(".ptext")).to_have_text(f"{ROWS:,} / {ROWS:,}")
    assert page.evaluate("window.notReloaded") is True
    # And its page shows the record, the events and the downloads
    row.get_by_role("link").click()
    expect(page.locator(".timeline")).to_contain_text("completed")
    expect(page.get_by_role("button", name="Download csv")).to_be_visible()
    expect(page.locator(".timeline")).to_contain_text("chunk")
    shot(page, "job", full_page=True)


def test_a_running_job_is_canceled_from_its_page(page, api_url, client, slow_model, numbers):
    # Given a long job's page, while it runs
    job = slow_job(client, slow_model, numbers, "to-cancel")
    page.goto(f"{api_url}/#/jobs/{job['id']}")
    expect(page.locator(".head .badge")).to_contain_text("running")
    # When Cancel job is clicked (and confirmed)
    page.get_by_role("button", name="Cancel job").click()
    # Then the job ends canceled, on the page and in the API
    expect(page.locator(".head .badge")).to_contain_text("canceled")
    assert wait_job(client, job["id"])["status"] == "canceled"
    expect(page.get_by_role("button", name="Cancel job")).to_have_count(0)


def test_a_result_downloads_as_the_format_asked(page, api_url, client, credit_model, tmp_path):
    # Given a completed inline job
    rows = [[CATEGORIES[f][0] if f in CATEGORIES else 3 for f in FIELDS]] * 3
    job = wait_job(client, submit(client, {"model": credit_model, "input": {"fields": FIELDS, "values": rows}})["id"])
    page.goto(f"{api_url}/#/jobs/{job['id']}")
    # When Download csv is clicked
    with page.expect_download() as download:
        page.get_by_role("button", name="Download csv").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    # Then the file is the API's CSV of the result
    assert saved.name == f"{job['id']}.csv"
    assert saved.read_bytes() == client.get(f"/v1/jobs/{job['id']}/results", params={"format": "csv"}).content


def test_a_schedule_is_paused_and_resumed(page, api_url, client, credit_model):
    # Given an hourly schedule
    created = client.post("/v1/schedules", json={"name": f"console-{uuid.uuid4().hex[:6]}", "interval_s": 3600,
                                                 "timezone": "Europe/Berlin", "job": inline_job(credit_model)})
    schedule = created.json()
    page.goto(f"{api_url}/#/schedules")
    row = page.locator(f"#schedule-{schedule['id']}")
    expect(row).to_contain_text("active")
    # When Pause is clicked, Then it shows paused and the API agrees
    row.get_by_role("button", name="Pause").click()
    expect(row).to_contain_text("paused")
    assert client.get(f"/v1/schedules/{schedule['id']}").json()["enabled"] is False
    shot(page, "schedules")
    # When Resume is clicked, Then it is active again
    row.get_by_role("button", name="Resume").click()
    expect(row).to_contain_text("active")
    assert client.get(f"/v1/schedules/{schedule['id']}").json()["enabled"] is True
    client.delete(f"/v1/schedules/{schedule['id']}")


def test_the_try_it_form_scores_a_row_as_the_api_does(page, api_url, client, credit_model):
    # Given a model's page with its generated form
    page.goto(f"{api_url}/#/models/{credit_model}")
    form = page.locator("form.tryit")
    expect(form.locator("select[name=CheckingStatus] option")).to_have_count(len(CATEGORIES["CheckingStatus"]))
    # When a field is changed and the row scored
    form.locator("select[name=CheckingStatus]").select_option("less_0")
    form.locator("input[name=LoanAmount]").fill("9000")
    form.get_by_role("button", name="Score this row").click()
    expect(page.locator(".predicted")).not_to_be_empty()
    shot(page, "model", full_page=True)
    # Then the label and the probabilities are the API's for the same row
    row = dict(zip(FIELDS, [page.locator(f"form.tryit [name={f}]").input_value() for f in FIELDS]))
    row = {f: (v if f in CATEGORIES else float(v)) for f, v in row.items()}
    job = wait_job(client, submit(client, {"model": credit_model, "input": {"records": [row]}})["id"])
    label, probabilities = job["result"]["predictions"]["values"][0]
    expect(page.locator(".predicted")).to_have_text(str(label))
    classes = client.get(f"/v1/models/{credit_model}").json()["versions"][-1]["classes"]
    shown = page.locator(".bars li .pval").all_text_contents()
    assert shown == [f"{p * 100:.1f} %" for p in probabilities] and len(shown) == len(classes)


def test_the_console_reads_at_phone_width(browser, api_url, client, credit_model):
    context = browser.new_context(viewport=PHONE)
    tab = context.new_page()
    tab.goto(f"{api_url}/#/jobs")
    expect(tab.locator("table.jobs tbody tr").first).to_be_visible()
    assert tab.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(tab, "jobs-phone")
    context.close()


def test_a_reader_key_sees_no_submit_or_cancel_control(page, secure):
    # Given a running job on the secured API, submitted by a submitter
    with secure.client("alice") as alice:
        job = submit(alice, {"model": secure.model, "input": {"values": [[1.0]] * 3}, "name": "alices"})
    # When the console is opened and a reader key typed
    page.goto(f"{secure.url}/")
    expect(page.get_by_role("heading", name="This service needs an API key")).to_be_visible()
    shot(page, "key")
    page.get_by_label("API key").fill(secure.keys["reader"])
    page.get_by_role("button", name="Use key").click()
    expect(page.locator(".who")).to_contain_text("reader")
    # Then the job's page and the model's page offer nothing a reader may not do
    page.goto(f"{secure.url}/#/jobs/{job['id']}")
    expect(page.locator(".head .badge")).to_contain_text(re.compile("completed|running|queued"))
    for name in ("Cancel job", "Run again", "Delete"):
        expect(page.get_by_role("button", name=name)).to_have_count(0)
    page.goto(f"{secure.url}/#/models/{secure.model}")
    expect(page.locator("form.tryit")).to_contain_text("needs a submitter")
    expect(page.get_by_role("button", name="Score this row")).to_have_count(0)
    expect(page.get_by_role("button", name="Point alias")).to_have_count(0)
    # And the key stays for the tab: a reload does not ask again
    page.reload()
    expect(page.locator(".who")).to_contain_text("reader")


def test_a_wrong_key_clears_the_page_and_asks_again(page, secure):
    page.goto(f"{secure.url}/")
    page.get_by_label("API key").fill("not-a-key")
    page.get_by_role("button", name="Use key").click()
    expect(page.get_by_role("heading", name="This service needs an API key")).to_be_visible()
    expect(page.locator("main")).to_contain_text("unknown or revoked")
    expect(page.locator("table")).to_have_count(0)
