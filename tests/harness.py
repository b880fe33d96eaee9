"""Real processes for tests: a private redis-server, the API under uvicorn, worker supervisors."""

import io
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import httpx
import joblib

from batchsvc.cli import redis_server as redisproc

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 30.0
JOB_WAIT_S = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout_s: float = 20.0, interval_s: float = 0.02, what: str = "condition"):
    """Poll until predicate() is truthy; returns its value or fails the test naming `what`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


class RedisServer:
    """A redis-server on a free loopback port with AOF, that a test may stop and start again."""

    def __init__(self, directory: Path):
        self.port, self.dir, self.proc = free_port(), directory, None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = redisproc.start(self.port, self.dir, appendonly=True)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def kill(self) -> None:
        """kill -9: no shutdown, no final AOF flush (what a crash or an OOM kill does)."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


class Process:
    """A batchsvc CLI subprocess with the test environment, stopped with SIGTERM (or killed)."""

    def __init__(self, args: list[str], env: dict, log: Path, wrapper: Sequence[str] = ()):
        self.log = open(log, "ab")
        self.proc = subprocess.Popen([*wrapper, sys.executable, "-m", "batchsvc.cli", *args], env=env, cwd=ROOT,
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self, timeout_s: float = 30) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def own_disk(private: Path) -> list[str]:
    """A command prefix that starts a process as on a host of its own: its own mount namespace, with a private
    empty tmpfs over `private` (the run's test folders: every data dir, input and log) as its TMPDIR too; the
    code and the venv stay visible, as an installed package would be."""
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c",
            'mount -t tmpfs tmpfs "$0" && TMPDIR="$0" exec "$@"', str(private)]


def start_api(env: dict, log: Path, tls: tuple[Path, Path] | None = None,
              wrapper: Sequence[str] = (), workers: int = 1) -> tuple[Process, str]:
    """The API on a free port (`workers` processes); with tls=(certificate, key) it serves HTTPS (the URL says
    which)."""
    port = free_port()
    args = ["api", "--port", str(port), "--workers", str(workers)]
    if tls:
        args += ["--ssl-certfile", str(tls[0]), "--ssl-keyfile", str(tls[1])]
    api = Process(args, env, log, wrapper)
    url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(url), START_TIMEOUT_S * workers, 0.1, f"the API on {url} (see {log})")
    except AssertionError:
        api.stop()  # never left running behind a failed start
        raise
    return api, url


def start_workers(env: dict, log: Path, processes: int = 2, wrapper: Sequence[str] = ()) -> Process:
    return Process(["worker", "--processes", str(processes)], env, log, wrapper)


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1, verify=False).status_code == 200  # a self-signed cert
    except httpx.HTTPError:
        return False


def register(client: httpx.Client, name: str, estimator, baseline=None, **form) -> dict:
    """A new version of `name`; `baseline` (a DataFrame of training rows) is sent as its drift baseline."""
    buffer = io.BytesIO()
    joblib.dump(estimator, buffer)
    files = {"file": ("model.joblib", buffer.getvalue())}
    if baseline is not None:
        files["baseline"] = ("baseline.csv", baseline.to_csv(index=False).encode())
    response = client.post(f"/v1/models/{name}/versions", files=files, data=form)
    assert response.status_code == 201, response.text
    return response.json()


def submit(client: httpx.Client, body: dict) -> dict:
    response = client.post("/v1/jobs", json=body)
    assert response.status_code == 202, response.text
    return response.json()


def wait_job(client: httpx.Client, job_id: str, timeout_s: float = JOB_WAIT_S) -> dict:
    """The job once finished, through the server's long poll."""
    def finished():
        response = client.get(f"/v1/jobs/{job_id}", params={"wait": 10})
        if response.status_code == 503:  # Redis away or failing over: the API says try again (Retry-After)
            return None
        job = response.json()
        return job if job["status"] in ("completed", "failed", "canceled") else None
    return wait_for(finished, timeout_s, 0, f"job {job_id} to finish")


def run_job(client: httpx.Client, body: dict) -> dict:
    return wait_job(client, submit(client, body)["id"])


def register_slow(client: httpx.Client, prefix: str, delay_s: float) -> str:
    """A SlowSum over features a and b (tests/slowmodel.py) under a fresh name; returns the name."""
    import pandas as pd
    from slowmodel import SlowSum
    name = f"{prefix}-{uuid.uuid4().hex[:6]}"
    register(client, name, SlowSum(delay_s=delay_s).fit(pd.DataFrame({"a": [0.0], "b": [0.0]})))
    return name


def unique(prefix: str) -> str:
    """A name no other test (or earlier run on the same Redis) uses."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def result_frame(client: httpx.Client, job_id: str):
    """A completed job's predictions as a DataFrame (downloaded as Parquet, whatever it was stored as)."""
    import pandas as pd
    response = client.get(f"/v1/jobs/{job_id}/results", params={"format": "parquet"})
    assert response.status_code == 200, response.text
    return pd.read_parquet(io.BytesIO(response.content))


def results(client: httpx.Client, job: dict):
    """The predictions of a job that must have completed (its error shown when it did not)."""
    assert job["status"] == "completed", job["error"]
    return result_frame(client, job["id"])
