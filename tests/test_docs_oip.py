"""docs/online.md's tritonclient example runs as written (host and deployment name swapped for the session's),
with the real tritonclient in its own venv, and prints the native route's label and probabilities."""

import re
import subprocess
import uuid

import numpy as np
from harness import ROOT

from batchsvc.scoring.sample import FIELDS, WATSON_ROW

DOC = ROOT / "docs" / "online.md"
RUN_TIMEOUT_S = 120


def example() -> str:
    """The first python block after the words 'With tritonclient'."""
    text = DOC.read_text()
    return re.search(r"```python\n(.*?)```", text[text.index("With tritonclient"):], re.S).group(1)


def test_the_tritonclient_example_in_the_docs_runs(client, api_url, credit_model, triton_python):
    # Given a deployment, and the native answer for the example's row
    name = f"doc-{uuid.uuid4().hex[:8]}"
    assert client.post("/v1/deployments", json={"name": name, "model": credit_model}).status_code == 201
    native = client.post(f"/v1/deployments/{name}/predictions",
                         json={"input_data": [{"fields": FIELDS, "values": [WATSON_ROW]}]}).json()
    label, proba = native["predictions"][0]["values"][0]
    # When the example runs against it
    code = example().replace("127.0.0.1:8000", api_url.removeprefix("http://")).replace("credit-risk-online", name)
    run = subprocess.run([str(triton_python), "-c", code], capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    # Then it prints the native label and probabilities (as numpy prints them: 8 digits)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"[{label!r}] [["), run.stdout
    printed = [float(x) for x in re.findall(r"\d\.\d+(?:e-?\d+)?", run.stdout.split("[[", 1)[1])]
    assert len(printed) == len(proba) and np.allclose(printed, proba, rtol=1e-6, atol=1e-8), run.stdout
