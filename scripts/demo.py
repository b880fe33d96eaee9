"""The end-to-end demo: start batchsvc, register the sample model, score sample_data/, show the result, then
keep the service up with its web console until Ctrl-C (--no-wait, or no terminal on stdin: stop at once)."""

import argparse
import io
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import joblib
import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from batchsvc.scoring.sample import FIELDS, WATSON_ROW, make_credit_risk, train_credit_risk

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "var" / "demo"
START_TIMEOUT_S = 180  # first start on a busy or slow machine: workers import scikit-learn and onnxruntime
PREFERRED_PORT = 8000  # the README's port, when it is free
console = Console(soft_wrap=True)  # a long line (a path, an id, a URL) is never cut at 80 columns when piped


def free_port(wanted: int = 0) -> int:
    """wanted if it is free on loopback, else any free port."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", wanted))
        except OSError:
            s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_service(port: int) -> subprocess.Popen:
    """`batchsvc up` with a Redis URL nobody answers on, so it starts its own private Redis."""
    env = {**os.environ, "BATCHSVC_DATA_DIR": str(DATA_DIR)}
    env.setdefault("BATCHSVC_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    log = open(DATA_DIR / "service.log", "ab")
    console.print(f"[bold]1.[/] starting [cyan]batchsvc up --port {port}[/] (log: {DATA_DIR / 'service.log'})")
    return subprocess.Popen([sys.executable, "-m", "batchsvc.cli", "up", "--port", str(port), "--processes", "2"],
                            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)


def wait_ready(http: httpx.Client, service: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if service.poll() is not None:
            sys.exit(f"batchsvc up exited with {service.returncode}; see {DATA_DIR / 'service.log'}")
        try:
            ready = http.get("/readyz").json()
            if ready.get("workers", 0) >= 1:
                return
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.2)
    sys.exit(f"batchsvc did not become ready in {START_TIMEOUT_S} s; see {DATA_DIR / 'service.log'}")


def register_model(http: httpx.Client) -> None:
    console.print("[bold]2.[/] training the credit-risk pipeline and registering it as [cyan]credit-risk[/]")
    buffer = io.BytesIO()
    joblib.dump(train_credit_risk(make_credit_risk(20_000, seed=43)), buffer)
    meta = http.post("/v1/models/credit-risk/versions", files={"file": ("credit_risk.joblib", buffer.getvalue())},
                     data={"description": "demo credit-risk pipeline"}).raise_for_status().json()
    http.put("/v1/models/credit-risk/aliases/production", json={"version": meta["version"]}).raise_for_status()
    console.print(f"   version {meta['version']} ({meta['task']}, classes {meta['classes']}), alias production")


def score_file(http: httpx.Client) -> dict:
    body = {"model": "credit-risk@production", "name": "demo: sample_data/credit_risk.csv",
            "input": {"path": "sample_data/credit_risk.csv"}, "chunk_size": 500,
            "output": {"format": "parquet", "passthrough": ["CustomerID"]}}
    job = http.post("/v1/jobs", json=body).raise_for_status().json()
    console.print(f"[bold]3.[/] submitted job [cyan]{job['id']}[/] over sample_data/credit_risk.csv")
    columns = [TextColumn("   {task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total} rows"),
               TimeRemainingColumn()]
    with Progress(*columns, console=console) as bar:
        task = bar.add_task(job["status"], total=None)
        while job["status"] in ("queued", "running"):
            job = http.get(f"/v1/jobs/{job['id']}", params={"wait": 1}).json()
            p = job["progress"]
            bar.update(task, description=job["status"], completed=p["rows_done"], total=p["rows_total"])
    return job


def show_results(http: httpx.Client, job: dict) -> None:
    if job["status"] != "completed":
        sys.exit(f"job ended {job['status']}: {job['error']}")
    r = job["result"]
    console.print(f"[bold]4.[/] completed: {r['rows']} rows, {r['bad_rows']} bad; "
                  f"stored at {DATA_DIR / 'results' / job['id'] / 'predictions.parquet'}; "
                  f"download: GET {r['url']}")
    frame = pd.read_parquet(io.BytesIO(http.get(r["url"]).content))
    console.print(frame.head(5).to_string(index=False))


def score_watson_payload(http: httpx.Client) -> None:
    body = {"model": "credit-risk@production", "input": {"fields": FIELDS, "values": [WATSON_ROW]}}
    job = http.post("/v1/jobs", json=body).raise_for_status().json()
    job = http.get(f"/v1/jobs/{job['id']}", params={"wait": 30}).json()
    console.print(f"[bold]5.[/] the Watson ML lab payload, inline: {job['result']['predictions']}")


def keep_up(url: str, service: subprocess.Popen) -> None:
    """Leave the service running with its console until Ctrl-C (or until it exits by itself)."""
    console.print(f"\n[bold]6.[/] the web console: [bold cyan]{url}/[/] (jobs, schedules, models, a try-it form)\n"
                  f"   the CLI: [cyan]BATCHSVC_API_URL={url} .venv/bin/batchsvc jobs[/]\n"
                  "   batchsvc stays up until you press Ctrl-C")
    try:
        service.wait()
    except KeyboardInterrupt:
        console.print()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-wait", action="store_true",
                        help="stop the service once the demo has run (for scripts and CI; the default without a "
                             "terminal on stdin)")
    return parser.parse_args()


def main() -> None:
    wait = not parse_args().no_wait and sys.stdin.isatty()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    port = free_port(PREFERRED_PORT)
    service = start_service(port)
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, timeout=60) as http:
            wait_ready(http, service)
            console.print(f"   up: the API and the web console at [bold cyan]{url}/[/]")
            register_model(http)
            show_results(http, score_file(http))
            score_watson_payload(http)
        if wait:
            keep_up(url, service)
        else:
            console.print(f"\n[bold]6.[/] the web console was at [bold cyan]{url}/[/] while the demo ran; run "
                          "[cyan]bash scripts/demo.sh[/] in a terminal to keep it up until Ctrl-C")
    finally:
        service.send_signal(signal.SIGTERM)
        service.wait(timeout=60)
        console.print("stopped batchsvc (and its private Redis)")


if __name__ == "__main__":
    main()
