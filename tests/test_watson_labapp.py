"""The IBM lab's Flask app (tests/ibm_lab/flaskapp, unchanged) in a venv of its own, scoring through batchsvc over
HTTPS with its .env in both forms: A (AUTH_URL + username/password: GET /v1/preauth/validateAuth with HTTP Basic
auth) and B (AUTH_TOKEN); and the lab's routes' answers to bad input."""

import io
import re
import shutil
import subprocess
import uuid
from html.parser import HTMLParser

import httpx
import pandas as pd
import pytest
from harness import free_port, wait_for
from vendors import vendor_venv
from watson_lab import LAB

from batchsvc.scoring.sample import FIELDS, WATSON_ROW

# what creditriskapp.py imports (current releases)
APP_SPEC = ["flask>=3,<4", "requests>=2.31,<3", "python-dotenv>=1,<2"]
APP_START_S = 60
RISK = re.compile(r"Percentage of this loan representing risk is: (\d+)%")


class FormDefaults(HTMLParser):
    """The values a browser submits for a form left as it is: each input's value, each select's selected option
    (the last one marked selected, as browsers choose)."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name"):
            self.values[a["name"]] = a.get("value") or ""
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value") or ""


@pytest.fixture(scope="session")
def labapp_python():
    """The python of the lab app's own venv (tests/vendors.py): Flask, requests and python-dotenv, as it needs."""
    return vendor_venv("ibm-lab-app", APP_SPEC)


def run_app(python, folder, settings: dict):
    """The lab's app, unchanged, in `folder` with a .env of `settings`; its URL once it answers (FLASK_DEBUG=0:
    no reloader process)."""
    shutil.copytree(LAB / "flaskapp", folder)
    port = free_port()
    (folder / ".env").write_text("".join(f"{k}={v}\n" for k, v in {**settings, "HOST": "127.0.0.1",
                                                                    "PORT": port}.items()))
    log = open(folder / "app.log", "wb")
    proc = subprocess.Popen([str(python), "creditriskapp.py"], cwd=folder, stdout=log, stderr=subprocess.STDOUT,
                            env={"PATH": "/usr/bin:/bin", "FLASK_DEBUG": "0"})
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: _answers(url), APP_START_S, 0.1, f"the lab's app on {url} (see {folder / 'app.log'})")
    return proc, url


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def submit_defaults(url: str) -> tuple[dict, str]:
    """The form's default values, and the page the app answers their submission with."""
    form = FormDefaults()
    form.feed(httpx.get(url, timeout=30).text)
    answer = httpx.post(url, data=form.values, timeout=60)
    assert answer.status_code == 200, answer.text[-2000:]
    return form.values, answer.text


def expected_percent(lab, values: dict) -> int:
    """The risk percentage the model gives the form's values, rounded as the app rounds it."""
    row = pd.DataFrame([values])[FIELDS].astype({f: float for f in ("LoanAmount", "InstallmentPercent")})
    row = row.astype({f: int for f in ("Age", "Dependents", "CurrentResidenceDuration", "ExistingCreditsCount",
                                       "LoanDuration")})
    return int(f"{lab.pipeline.predict_proba(row)[0][1] * 100:.0f}")


@pytest.mark.parametrize("form", ["A: AUTH_URL with username and password", "B: AUTH_TOKEN"])
def test_the_labs_flask_app_shows_the_models_risk(labapp_python, watson, lab, tmp_path, form):
    # Given the lab's app pointed at the online deployment's /v4 URL, with its .env in form A or B
    model_url = f"{watson.url}/v4/deployments/{lab.online['id']}/predictions"
    auth_url = f"{watson.url}/v1/preauth/validateAuth"
    settings = {"MODEL_URL": model_url, "AUTH_URL": auth_url, "AUTH_USERNAME": "alice", "AUTH_PASSWORD": watson.key}
    if form.startswith("B"):
        token = httpx.get(auth_url, auth=("alice", watson.key), verify=False).json()["accessToken"]
        settings = {"MODEL_URL": model_url, "AUTH_TOKEN": token}
    proc, url = run_app(labapp_python, tmp_path / "app", settings)
    try:
        # When its form is submitted with its default values
        values, page = submit_defaults(url)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    # Then it shows the risk percentage the model gives those values
    shown = RISK.search(page)
    assert shown, page[-2000:]
    assert int(shown.group(1)) == expected_percent(lab, values)


def test_the_labs_routes_refuse_bad_input_in_watson_mls_shape(watson, lab):
    with watson.https() as anonymous:
        # Basic auth with a wrong key, or none: 401
        wrong = anonymous.get("/v1/preauth/validateAuth", auth=("alice", "bsk_x_y"))
        assert wrong.status_code == 401 and wrong.json()["errors"][0]["message"]
        assert anonymous.get("/v1/preauth/validateAuth").status_code == 401
        token = anonymous.get("/v1/preauth/validateAuth", auth=("alice", watson.key)).json()["accessToken"]
    with watson.https(token) as c:
        # An unknown deployment, model or data asset: 404 in Watson ML's shape
        for path in (f"/v4/deployments/{uuid.uuid4()}/predictions",):
            answer = c.post(path, json={"input_data": [{"fields": FIELDS, "values": [WATSON_ROW]}]})
            assert answer.status_code == 404 and answer.json()["status_code"] == 404, answer.text
        for path in (f"/ml/v4/models/{uuid.uuid4()}", f"/v2/assets/{uuid.uuid4()}", "/v2/assets/not-a-uuid",
                     f"/v2/software_specifications/{uuid.uuid4()}"):
            answer = c.get(path)
            assert answer.status_code == 404 and answer.json()["errors"][0]["message"], (path, answer.text)
        # Upper-case field names (older copies of the app) are matched; the label is predictedLabel
        upper = c.post(f"/v4/deployments/{lab.online['id']}/predictions",
                       json={"input_data": [{"fields": [f.upper() for f in FIELDS], "values": [WATSON_ROW]}]})
        assert upper.status_code == 200, upper.text
        assert upper.json()["predictions"][0]["fields"] == ["predictedLabel", "probability"]
        # A name that matches no feature leaves that feature lacking: 422 naming it
        unknown = c.post(f"/v4/deployments/{lab.online['id']}/predictions",
                         json={"input_data": [{"fields": ["LOAN_AMOUNT", *FIELDS[1:]], "values": [WATSON_ROW]}]})
        message = unknown.json()["errors"][0]["message"]
        assert unknown.status_code == 422 and "CheckingStatus" in message and "LOAN_AMOUNT" in message
        # A data asset whose file is not CSV (Parquet here): 422 naming the asset
        asset = c.post("/v2/assets", json={"metadata": {"name": "not-csv.parquet", "asset_type": "data_asset"}})
        asset_id = asset.json()["metadata"]["asset_id"]
        url1 = c.post(f"/v2/assets/{asset_id}/attachments", json={"asset_type": "data_asset"}).json()["url1"]
        parquet = io.BytesIO()
        pd.DataFrame({"a": [1]}).to_parquet(parquet)
        refused = c.put(url1, files={"file": ("not-csv.parquet", parquet.getvalue(), "file")})
        assert refused.status_code == 422 and "not-csv.parquet" in refused.json()["errors"][0]["message"]
        # A file URL with a wrong signature: 404, nothing stored
        assert c.put(url1.split("?")[0] + "?signature=0", files={"file": ("x.csv", b"a\n1\n")}).status_code == 404
