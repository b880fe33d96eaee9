"""Drives batchsvc with the real tritonclient[http]; run by tests/test_oip.py with its own venv's python.

    python oip_client.py URL DEPLOYMENT MODEL ROWS.json
    (ROWS.json: {"fields": [...], "values": [[...]], "numeric": [...]}; MODEL's version 1 is asked by version)

Prints one JSON object: health, metadata, readiness, and infer answers (binary and JSON tensors, by version),
and the error an unknown model gets.
"""

import json
import sys

import numpy as np
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException


def inputs(table: dict, binary: bool) -> list:
    """One input per column, as MLServer's pandas codec reads them: FP64 numbers, BYTES text."""
    found = []
    for i, field in enumerate(table["fields"]):
        column = [row[i] for row in table["values"]]
        numeric = field in table["numeric"]
        array = np.array(column, dtype=np.float64 if numeric else np.object_)
        tensor = httpclient.InferInput(field, [len(column)], "FP64" if numeric else "BYTES")
        tensor.set_data_from_numpy(array, binary_data=binary)
        found.append(tensor)
    return found


def infer(client, model: str, table: dict, binary: bool, version: str = "") -> dict:
    wanted = [httpclient.InferRequestedOutput(n, binary_data=binary) for n in ("predict", "predict_proba")]
    result = client.infer(model, inputs(table, binary), model_version=version, outputs=wanted,
                          parameters={"content_type": "pd"})
    return {"predict": [v.decode() if isinstance(v, bytes) else v for v in result.as_numpy("predict").tolist()],
            "predict_proba": result.as_numpy("predict_proba").tolist(), "response": result.get_response()}


def main(url: str, model: str, versioned: str, rows_path: str) -> None:
    table = json.load(open(rows_path))
    client = httpclient.InferenceServerClient(url)
    answers = {"live": client.is_server_live(), "ready": client.is_server_ready(),
               "model_ready": client.is_model_ready(model), "server": client.get_server_metadata(),
               "metadata": client.get_model_metadata(model),
               "binary": infer(client, model, table, binary=True), "json": infer(client, model, table, binary=False),
               "version_ready": client.is_model_ready(versioned, "1"),
               "by_version": infer(client, versioned, table, binary=False, version="1")}
    try:
        client.infer("no-such-model", inputs(table, False))
    except InferenceServerException as exc:
        answers["unknown"] = {"status": exc.status(), "message": exc.message()}
    print(json.dumps(answers))


if __name__ == "__main__":
    main(*sys.argv[1:])
