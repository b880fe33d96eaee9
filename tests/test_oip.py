"""The Open Inference Protocol driven by the real tritonclient[http] (its own venv) against the session API:
health, metadata, readiness and infer (binary and JSON tensors, MLServer's pandas codec), answers equal to the
native route's for the same rows."""

import json
import subprocess
import uuid
from pathlib import Path

import numpy as np
from test_oip_json import NUMERIC, credit_rows

from batchsvc.scoring.sample import FIELDS

CLIENT_TIMEOUT_S = 120
CLIENT_SCRIPT = Path(__file__).parent / "oip_client.py"


def test_tritonclient_reads_metadata_and_infers_the_native_answers(client, api_url, credit_model, triton_python,
                                                                     tmp_path):
    # Given a deployment of the credit model and rows it scores on the native route
    name = f"triton-{uuid.uuid4().hex[:8]}"
    assert client.post("/v1/deployments", json={"name": name, "model": credit_model}).status_code == 201
    rows = credit_rows(30, seed=11)
    native = client.post(f"/v1/deployments/{name}/predictions",
                         json={"input_data": [{"fields": FIELDS, "values": rows}]}).json()["predictions"][0]["values"]
    table = tmp_path / "rows.json"
    table.write_text(json.dumps({"fields": FIELDS, "values": rows, "numeric": sorted(NUMERIC)}))
    # When tritonclient, unchanged, drives the server
    run = subprocess.run([str(triton_python), str(CLIENT_SCRIPT), api_url.removeprefix("http://"), name,
                          credit_model, str(table)], capture_output=True, text=True, timeout=CLIENT_TIMEOUT_S)
    assert run.returncode == 0, run.stderr
    answers = json.loads(run.stdout)
    # Then the server, the deployment and the model's version 1 are live and ready
    assert answers["live"] and answers["ready"] and answers["model_ready"] and answers["version_ready"]
    assert answers["server"]["name"] == "batchsvc"
    assert [i["name"] for i in answers["metadata"]["inputs"]] == FIELDS
    # And its answers, binary and JSON tensors, by deployment and by version, are the native route's
    for kind in ("binary", "json", "by_version"):
        assert answers[kind]["predict"] == [v[0] for v in native], kind
        assert np.allclose(answers[kind]["predict_proba"], [v[1] for v in native], rtol=0, atol=1e-12), kind
    assert answers["binary"]["response"]["model_name"] == name
    assert answers["by_version"]["response"]["model_version"] == "1"
    # And an unknown model is the protocol's 404 with the server's message
    assert answers["unknown"] == {"status": "404", "message": "no deployment or model named 'no-such-model'"}
