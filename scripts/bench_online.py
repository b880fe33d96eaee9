"""Online predictions: one-row latency and throughput over keep-alive HTTP, beside the model's own time.

Starts its own redis-server and `batchsvc api --workers N` (for each N asked) on loopback, registers the
credit-risk pipeline (batchsvc.scoring.sample), deploys it, then
  1. sends one-row requests one after another on one keep-alive connection: p50, p95, p99;
  2. sends one-row requests from 8 client threads (a keep-alive client each): requests/s;
and times the same model's own predict_proba on the same one-row frame in this process, so the API's
overhead above the model is visible (printed as a difference and as a ratio).

    python scripts/bench_online.py                     # 1 and 2 API processes
    python scripts/bench_online.py --processes 2 --sequential 2000 --burst 5000
Targets on a 2-core machine: overhead above the model <= 1.5 ms at p50; >= 200 requests/s with 2 processes.
"""

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import joblib
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's batchsvc, whatever else is installed

from batchsvc.cli import redis_server as redisproc  # noqa: E402
from batchsvc.scoring.sample import FIELDS, WATSON_ROW, make_credit_risk, train_credit_risk  # noqa: E402

TARGET_OVERHEAD_MS, TARGET_RATE = 1.5, 200
WARM_UP_REQUESTS = 100  # per API process: the model loads once in each
START_TIMEOUT_S = 60
BODY = {"input_data": [{"fields": FIELDS, "values": [WATSON_ROW]}]}


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--processes", type=int, nargs="+", default=[1, 2], help="API processes to measure")
    p.add_argument("--sequential", type=int, default=1000, help="one-row requests sent one after another")
    p.add_argument("--burst", type=int, default=3000, help="one-row requests sent from the client threads")
    p.add_argument("--threads", type=int, default=8, help="client threads of the burst")
    p.add_argument("--model-runs", type=int, default=1000, help="direct predict_proba calls timed")
    return p.parse_args()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    """A private API of N processes on the given Redis, stopped on exit."""

    def __init__(self, env: dict, processes: int, log: Path):
        self.port, self.log = _free_port(), log
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([sys.executable, "-m", "batchsvc.cli", "api", "--port", str(self.port),
                                      "--workers", str(processes)], cwd=ROOT, env=env,
                                     stdout=open(log, "wb"), stderr=subprocess.STDOUT)

    def __enter__(self) -> "Api":
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise SystemExit(f"the API did not start; see {self.log}")

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def deploy(url: str, model) -> str:
    """Register the model, alias it and deploy it; returns the scoring path."""
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    with httpx.Client(base_url=url, timeout=30) as c:
        c.post("/v1/models/credit-risk/versions", files={"file": ("m.joblib", buffer.getvalue())}).raise_for_status()
        c.put("/v1/models/credit-risk/aliases/production", json={"version": 1}).raise_for_status()
        c.post("/v1/deployments", json={"name": "credit-risk-online", "model": "credit-risk@production"})
    return "/v1/deployments/credit-risk-online/predictions"


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of a process and its descendants so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") + sum(cpu_s(int(c)) for c in children)


def sequential(url: str, path: str, n: int) -> list[float]:
    """Milliseconds of each of n one-row requests on one keep-alive connection."""
    times = []
    with httpx.Client(base_url=url, timeout=30) as c:
        for _ in range(WARM_UP_REQUESTS):
            c.post(path, json=BODY).raise_for_status()
        for _ in range(n):
            started = time.perf_counter()
            c.post(path, json=BODY).raise_for_status()
            times.append((time.perf_counter() - started) * 1000)
    return times


def burst(url: str, path: str, n: int, threads: int) -> float:
    """Requests per second of n one-row requests from `threads` keep-alive clients."""
    share = [n // threads + (i < n % threads) for i in range(threads)]

    def client(count: int) -> None:
        with httpx.Client(base_url=url, timeout=30) as c:
            for _ in range(count):
                c.post(path, json=BODY).raise_for_status()

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(client, [WARM_UP_REQUESTS // threads] * threads))
        started = time.perf_counter()
        list(pool.map(client, share))
    return n / (time.perf_counter() - started)


def model_ms(model, runs: int) -> tuple[float, float]:
    """The model's own median predict_proba time on the request's one-row frame: wall and CPU milliseconds."""
    frame = pd.DataFrame([WATSON_ROW], columns=FIELDS)
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.thread_time()
        model.predict_proba(frame)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - started_cpu) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def measure(env: dict, tmp: Path, processes: int, model, args) -> dict:
    with Api(env, processes, tmp / f"api-{processes}.log") as api:
        path = deploy(api.url, model)
        before = cpu_s(api.proc.pid)
        times = sequential(api.url, path, args.sequential)
        api_cpu_ms = (cpu_s(api.proc.pid) - before) * 1000 / (args.sequential + WARM_UP_REQUESTS)
        rate = burst(api.url, path, args.burst, args.threads)
    own, own_cpu = model_ms(model, args.model_runs)
    return {"processes": processes, "p50": statistics.median(times), "p95": percentile(times, 95),
            "p99": percentile(times, 99), "rate": rate, "model": own, "api_cpu": api_cpu_ms, "model_cpu": own_cpu}


def report(r: dict) -> None:
    overhead = r["p50"] - r["model"]
    print(f"{r['processes']} API process(es): one-row p50 {r['p50']:.2f} ms, p95 {r['p95']:.2f} ms, "
          f"p99 {r['p99']:.2f} ms; model's own predict_proba {r['model']:.2f} ms/row "
          f"(p50 = {r['p50'] / r['model']:.2f}x the model); overhead {overhead:.2f} ms "
          f"(target <= {TARGET_OVERHEAD_MS}); {r['rate']:.0f} requests/s from 8 threads"
          + (f" (target >= {TARGET_RATE} with 2 processes)" if r["processes"] == 2 else ""), flush=True)
    print(f"  CPU per one-row request in the API {r['api_cpu']:.2f} ms vs the model's own {r['model_cpu']:.2f} ms "
          f"(overhead {r['api_cpu'] - r['model_cpu']:.2f} ms, {r['api_cpu'] / r['model_cpu']:.2f}x): the figure a "
          "busy machine distorts least", flush=True)


def main() -> None:
    args = parse()
    model = train_credit_risk(make_credit_risk(5_000, seed=1))
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for processes in args.processes:
            port = _free_port()
            redis = redisproc.start(port, tmp / f"redis-{processes}")
            env = {**os.environ, "BATCHSVC_REDIS_URL": f"redis://127.0.0.1:{port}/0",
                   "BATCHSVC_DATA_DIR": str(tmp / f"data-{processes}")}
            try:
                report(measure(env, tmp, processes, model, args))
            finally:
                redis.terminate()
                redis.wait(timeout=10)


if __name__ == "__main__":
    main()
