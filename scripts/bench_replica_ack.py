"""What waiting for a replica costs job acceptance: submit latency p50/p99 and accepted jobs/s.

Starts, each with its own API process (no workers: jobs wait in the queue, only acceptance is timed):
  baseline   one redis-server, no replica (BATCHSVC_REDIS_REPLICA_ACKS=0: the default with one Redis);
  replica    a primary with one replica, each 201/202 after WAIT 1 (BATCHSVC_REDIS_REPLICA_ACKS=1: the
             default with a Sentinel URL).
Each round submits one-row inline jobs one after another (latency), then as fast as a few threads can (rate),
to each API in turn; the medians of the rounds are printed as ratios against the baseline of the same run.

    python scripts/bench_replica_ack.py                    # 3 rounds: 300 sequential, 1,000 in a burst, 4 threads
    python scripts/bench_replica_ack.py --sequential 1000 --burst 3000
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
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's batchsvc, whatever else is installed

from bench_latency import _free_port  # noqa: E402  (scripts/ is on sys.path when run as a script)

from batchsvc.cli import redis_server as redisproc  # noqa: E402

START_TIMEOUT_S = 60
WARM_UP = 30  # submits before timing: connections and code paths warm
ROW = {"a": 0.5, "b": -1.0, "c": 2.0, "d": 0.0}


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sequential", type=int, default=300, help="jobs submitted one after another")
    p.add_argument("--burst", type=int, default=1000, help="jobs submitted as fast as the threads can")
    p.add_argument("--submitters", type=int, default=4, help="client threads in the burst")
    p.add_argument("--rounds", type=int, default=3, help="rounds, each API in turn; medians are printed")
    return p.parse_args()


def start_redis(tmp: Path, name: str, replica_of: int | None = None) -> tuple[int, subprocess.Popen]:
    port = _free_port()
    extra = ["--replicaof", "127.0.0.1", str(replica_of)] if replica_of else []
    return port, redisproc.start(port, tmp / name, appendonly=True, extra=extra)


def start_api(tmp: Path, name: str, redis_port: int, acks: int) -> tuple[str, subprocess.Popen]:
    port = _free_port()
    env = {**os.environ, "BATCHSVC_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
           "BATCHSVC_DATA_DIR": str(tmp / f"data-{name}"), "BATCHSVC_REDIS_REPLICA_ACKS": str(acks)}
    proc = subprocess.Popen([sys.executable, "-m", "batchsvc.cli", "api", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=open(tmp / f"api-{name}.log", "wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return url, proc
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"the API did not start; see {tmp / f'api-{name}.log'}")


def register(url: str) -> str:
    X = pd.DataFrame(np.random.default_rng(0).normal(size=(200, 4)), columns=list(ROW))
    buffer = io.BytesIO()
    joblib.dump(LogisticRegression().fit(X, np.where(X.a + X.b > 0, "yes", "no")), buffer)
    r = httpx.post(f"{url}/v1/models/small/versions", files={"file": ("m.joblib", buffer.getvalue())}, timeout=120)
    r.raise_for_status()
    return "small"


def submit_once(client: httpx.Client, model: str) -> float:
    started = time.perf_counter()
    r = client.post("/v1/jobs", json={"model": model, "input": {"records": [ROW]}})
    if r.status_code != 202:
        raise SystemExit(f"submit answered {r.status_code}: {r.text}")
    return time.perf_counter() - started


def measure(url: str, model: str, args: argparse.Namespace) -> dict:
    """One round against one API: sequential latencies, then the burst's rate."""
    with httpx.Client(base_url=url, timeout=30) as client:
        for _ in range(WARM_UP):
            submit_once(client, model)
        latencies = sorted(submit_once(client, model) for _ in range(args.sequential))
    clients = [httpx.Client(base_url=url, timeout=30) for _ in range(args.submitters)]
    started = time.perf_counter()
    with ThreadPoolExecutor(args.submitters) as pool:
        list(pool.map(lambda i: submit_once(clients[i % args.submitters], model), range(args.burst)))
    rate = args.burst / (time.perf_counter() - started)
    for c in clients:
        c.close()
    return {"p50": statistics.median(latencies) * 1000, "p99": latencies[int(0.99 * (len(latencies) - 1))] * 1000,
            "rate": rate}


def in_turns(urls: dict[str, str], args: argparse.Namespace) -> dict[str, dict]:
    """Each API measured once per round, in turns (a busy moment of the host hits both), medians of the rounds."""
    models = {name: register(url) for name, url in urls.items()}
    rounds: dict[str, list[dict]] = {name: [] for name in urls}
    for _ in range(args.rounds):
        for name, url in urls.items():
            rounds[name].append(measure(url, models[name], args))
    return {name: {k: statistics.median(r[k] for r in runs) for k in ("p50", "p99", "rate")}
            for name, runs in rounds.items()}


def main() -> None:
    args = parse()
    procs: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        try:
            alone, alone_proc = start_redis(tmp, "alone")
            primary, primary_proc = start_redis(tmp, "primary")
            _, replica_proc = start_redis(tmp, "replica", replica_of=primary)
            procs += [alone_proc, primary_proc, replica_proc]
            base_url, base_api = start_api(tmp, "baseline", alone, acks=0)
            ack_url, ack_api = start_api(tmp, "replica", primary, acks=1)
            procs += [base_api, ack_api]
            results = in_turns({"baseline (one Redis, no WAIT)": base_url, "replica (WAIT 1 per 202)": ack_url},
                               args)
        finally:
            for proc in reversed(procs):
                proc.terminate()
                proc.wait(timeout=30)
    base = results["baseline (one Redis, no WAIT)"]
    print(f"{args.sequential} sequential submits, {args.burst} in a burst of {args.submitters} threads; "
          f"medians of {args.rounds} rounds taken in turns")
    print(f"{'':32} {'p50 ms':>8} {'p99 ms':>8} {'jobs/s':>8}   p50, p99, rate vs baseline")
    for name, r in results.items():
        print(f"{name:32} {r['p50']:8.2f} {r['p99']:8.2f} {r['rate']:8.0f}   "
              f"{r['p50'] / base['p50']:.2f}x {r['p99'] / base['p99']:.2f}x {r['rate'] / base['rate']:.2f}x")


if __name__ == "__main__":
    main()
