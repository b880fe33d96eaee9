"""Helpers for tests/test_code_models.py: code-model zips built from small score.py sources, run by hand."""

import importlib.util
import io
import os
import signal
import sys
import textwrap
import uuid
import zipfile
from pathlib import Path

import pandas as pd
import yaml


def make_zip(files: dict[str, str | bytes], manifest: dict | None = None) -> bytes:
    """A code model's zip from sources (and a manifest, written as batchsvc.yaml)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, body in files.items():
            z.writestr(name, textwrap.dedent(body) if isinstance(body, str) else body)
        if manifest is not None:
            z.writestr("batchsvc.yaml", yaml.safe_dump(manifest))
    return buffer.getvalue()


def post_zip(client, name: str, data: bytes):
    return client.post(f"/v1/models/{name}/versions", files={"file": ("model.zip", data)})


def register_code(client, name: str, files: dict, manifest: dict | None) -> dict:
    response = post_zip(client, name, make_zip(files, manifest))
    assert response.status_code == 201, response.text
    return response.json()


def simple(run_body: str, init_body: str = "pass", head: str = "") -> dict:
    """A score.py with the given init and run bodies (run sees `batch`)."""
    return {"score.py": f"{head}\ndef init(model_dir):\n    {init_body}\n\n\ndef run(batch):\n    {run_body}\n"}


SMALL_MANIFEST = {"features": [{"x": "float"}], "outputs": ["prediction"]}


def by_hand(data: bytes, frame: pd.DataFrame, tmp: Path) -> pd.DataFrame:
    """What score.py gives when run by hand on the same rows."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        z.extractall(tmp)
    sys.path.insert(0, str(tmp))
    try:
        spec = importlib.util.spec_from_file_location(f"by_hand_{uuid.uuid4().hex}", tmp / "score.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.init(tmp)
        return module.run(frame.copy())
    finally:
        sys.path.remove(str(tmp))
        sys.modules.pop("helpers", None)


def run_killing_a_worker(client, model: str, frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """A job of six 100-row chunks over `frame` (written to `path` as Parquet, passing `id` through) whose worker
    is killed with SIGKILL while it holds the second chunk; the job's output once it completed."""
    from harness import result_frame, submit, wait_for, wait_job

    frame.to_parquet(path, row_group_size=100)
    job = submit(client, {"model": model, "input": {"path": str(path)}, "chunk_size": 100,
                          "output": {"passthrough": ["id"]}})

    def in_flight():
        log = client.get(f"/v1/jobs/{job['id']}/events").json()["events"]
        return [e for e in log if e["event"] == "chunk_started"][1:2]
    started = wait_for(in_flight, 30, 0.01, "a chunk in flight")[0]
    os.kill(int(started["worker"].rsplit(":", 1)[1]), signal.SIGKILL)
    done = wait_job(client, job["id"], timeout_s=90)
    assert done["status"] == "completed", done["error"]
    return result_frame(client, job["id"])


def inline_frame(job: dict) -> pd.DataFrame:
    predictions = job["result"]["predictions"]
    return pd.DataFrame(predictions["values"], columns=predictions["fields"])
