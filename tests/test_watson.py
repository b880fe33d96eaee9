"""Watson ML compatibility over HTTPS: the lab's curl byte for byte, and the official ibm-watsonx-ai client."""

import json
import shutil
import subprocess
import uuid

from harness import ROOT, run_job

from batchsvc.api.watson.ids import SPACE_ID
from batchsvc.scoring.sample import FIELDS, WATSON_ROW

# The lab's scoring body, as its curl sends it (the 20 credit-risk fields and one applicant)
LAB_BODY = ('{"input_data": [{"fields": ["CheckingStatus","LoanDuration","CreditHistory","LoanPurpose","LoanAmount",'
            '"ExistingSavings","EmploymentDuration","InstallmentPercent","Sex","OthersOnLoan",'
            '"CurrentResidenceDuration","OwnsProperty","Age","InstallmentPlans","Housing","ExistingCreditsCount",'
            '"Job","Dependents","Telephone","ForeignWorker"], "values": [["no_checking",13,"credits_paid_to_date",'
            '"car_new",1343,"100_to_500","1_to_4",2,"female","none",3,"savings_insurance",46,"none","own",2,'
            '"skilled",1,"none","yes"]]}]}')
CLIENT_TIMEOUT_S = 300


def curl(*args: str) -> dict:
    """The real curl binary (-k: the test's certificate is self-signed); the JSON it printed."""
    done = subprocess.run([shutil.which("curl") or "curl", "-sS", "-k", *args], capture_output=True, text=True,
                          timeout=60, check=True)
    return json.loads(done.stdout)


def native_predictions(watson, body: dict) -> list:
    answer = watson.native.post(f"/v1/deployments/{watson.deployment['name']}/predictions", json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()["predictions"]


def test_the_labs_curl_scores_over_https_with_an_iam_token(watson):
    # Given a token from IBM Cloud's token route, asked with the lab's form
    iam = curl("-X", "POST", "--header", "Content-Type: application/x-www-form-urlencoded", "--header",
               "Accept: application/json", "--data-urlencode", "grant_type=urn:ibm:params:oauth:grant-type:apikey",
               "--data-urlencode", f"apikey={watson.key}", f"{watson.url}/identity/token")
    assert iam["token_type"] == "Bearer" and iam["expires_in"] > 0 and iam["expiration"] > 0
    # When the lab's curl scores its applicant on the deployment's Watson ML URL
    scored = curl("-X", "POST", "--header", "Content-Type: application/json", "--header", "Accept: application/json",
                  "--header", f"Authorization: Bearer {iam['access_token']}", "-d", LAB_BODY,
                  f"{watson.url}/ml/v4/deployments/{watson.deployment['id']}/predictions?version=2020-09-01")
    # Then it gets a label and two probabilities, equal to the native API's for the same row
    (label, probabilities), = scored["predictions"][0]["values"]
    assert label in ("Risk", "No Risk") and len(probabilities) == 2
    assert scored["predictions"] == native_predictions(watson, json.loads(LAB_BODY))


def test_watson_errors_come_in_watson_mls_shape(watson):
    with watson.https() as anonymous:
        # Without a token: 401, errors[] as Watson ML writes them
        refused = anonymous.get("/ml/v4/deployments")
        assert refused.status_code == 401 and refused.json()["errors"][0]["code"] == "unauthorized"
        token = anonymous.post("/icp4d-api/v1/authorize", json={"username": "alice", "password": watson.key})
        assert token.status_code == 200, token.text
        wrong = anonymous.post("/icp4d-api/v1/authorize", json={"username": "alice", "api_key": "bsk_x_y"})
        assert wrong.status_code == 401
    with watson.https(token.json()["token"]) as c:
        # Unknown deployment, job and space: 404 with a code and message
        for path in (f"/ml/v4/deployments/{uuid.uuid4()}", f"/ml/v4/deployment_jobs/{uuid.uuid4()}",
                     "/ml/v4/deployment_jobs/not-a-uuid", f"/v2/spaces/{uuid.uuid4()}"):
            answer = c.get(path)
            assert answer.status_code == 404, (path, answer.text)
            assert answer.json()["status_code"] == 404 and answer.json()["errors"][0]["message"]
        # A body lacking a model feature: 422 naming the field
        bad = c.post(f"/ml/v4/deployments/{watson.deployment['id']}/predictions",
                     json={"input_data": [{"fields": FIELDS[1:], "values": [WATSON_ROW[1:]]}]})
        assert bad.status_code == 422 and "CheckingStatus" in bad.json()["errors"][0]["message"]
        # The deployment as Watson ML shows it: its UUID, ready, its model asset readable
        dep = c.get(f"/ml/v4/deployments/{watson.deployment['id']}").json()
        assert dep["metadata"]["id"] == watson.deployment["id"] and dep["entity"]["status"]["state"] == "ready"
        assert c.get(f"/v2/assets/{dep['entity']['asset']['id']}").status_code == 200


def run_client(python, watson, tmp_path) -> dict:
    table = tmp_path / "table.json"
    table.write_text(json.dumps({"fields": FIELDS, "values": [WATSON_ROW, WATSON_ROW]}))
    done = subprocess.run([str(python), str(ROOT / "tests" / "watson_client.py"), watson.url, "alice", watson.key,
                           SPACE_ID, watson.deployment["id"], str(table)], capture_output=True, text=True,
                          timeout=CLIENT_TIMEOUT_S, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_ibm_watsonx_ai_client_runs_jobs_and_scores(watson_python, watson, tmp_path):
    # Given the official client in its own venv, When it runs the lab's batch steps against this server
    seen = run_client(watson_python, watson, tmp_path)
    table = {"fields": FIELDS, "values": [WATSON_ROW, WATSON_ROW]}
    # Then its job went to completed with the native inline job's predictions for the same rows
    assert seen["states"][-1] == "completed" and len(seen["job_id"]) == 36
    native_job = run_job(watson.native, {"deployment": watson.deployment["name"], "input": table})
    assert seen["predictions"] == [native_job["result"]["predictions"]]
    # And score() answered as the native online route does
    assert seen["scored"]["predictions"] == native_predictions(watson, {"input_data": [table]})
    # And list_jobs showed the job on its deployment
    assert {"JOB-ID": seen["job_id"], "DEPLOYMENT-ID": watson.deployment["id"]}.items() <= next(
        row for row in seen["listed"] if row["JOB-ID"] == seen["job_id"]).items()
    # And the canceled job is what the native API says it is; the hard-deleted one is gone from both
    assert seen["canceled"] == seen["removed"] == "SUCCESS"
    assert seen["after_cancel"]["state"] in ("canceled", "completed")
    assert watson.native.get(f"/v1/jobs/{uuid.UUID(seen['canceled_id']).hex}").json()["status"] == \
        seen["after_cancel"]["state"]
    assert seen["job_id"] not in seen["jobs_after"]
    assert watson.native.get(f"/v1/jobs/{uuid.UUID(seen['job_id']).hex}").status_code == 404
