"""What capturing adds to an online request: p50/p99 of one-row requests to three deployments of one model in one
API process, capturing 0%, 10% and 100% of their requests, sent interleaved (shuffled round after round) so that
the machine's noise falls on all three alike.

    python scripts/bench_capture.py                  # 2,000 rounds
    python scripts/bench_capture.py --rounds 5000

Prints p50/p99 per deployment and the difference and ratio against the one that captures nothing.
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import joblib

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]  # this checkout's batchsvc, whatever else is installed

import bench_online as online  # noqa: E402
import bench_peers as peers  # noqa: E402

from batchsvc.cli import redis_server as redisproc  # noqa: E402
from batchsvc.scoring.sample import make_credit_risk, train_credit_risk  # noqa: E402

PERCENTS = (0, 10, 100)


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=2000, help="rounds of one request to each deployment")
    return p.parse_args()


def start(tmp: Path) -> tuple[subprocess.Popen, subprocess.Popen, str]:
    """A private redis-server and one API process (data dir in tmp); (redis, api, url)."""
    port, api_port = peers.free_port(), peers.free_port()
    redis = redisproc.start(port, tmp / "redis")
    env = {**os.environ, "BATCHSVC_REDIS_URL": f"redis://127.0.0.1:{port}/0", "BATCHSVC_DATA_DIR": str(tmp / "data")}
    log = tmp / "api.log"
    api = subprocess.Popen([sys.executable, "-m", "batchsvc.cli", "api", "--port", str(api_port)], cwd=ROOT, env=env,
                           stdout=open(log, "wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{api_port}"
    online.wait_ready(f"{url}/healthz", api, log)
    return redis, api, url


def measure(url: str, model_file: Path, rounds: int) -> dict[int, list[float]]:
    """Milliseconds per request, per capture percent."""
    times: dict[int, list[float]] = {p: [] for p in PERCENTS}
    with httpx.Client(base_url=url, timeout=300) as c:
        c.post("/v1/models/credit-risk/versions", files={"file": ("m.joblib", model_file.read_bytes())}
               ).raise_for_status()
        for p in PERCENTS:
            c.post("/v1/deployments", json={"name": f"cap-{p}", "model": "credit-risk", "capture": {"percent": p}}
                   ).raise_for_status()
        order = list(PERCENTS)
        for n in range(online.WARM_UP_REQUESTS + rounds):
            random.shuffle(order)
            for p in order:
                started = time.perf_counter()
                c.post(f"/v1/deployments/cap-{p}/predictions", json=online.BODY).raise_for_status()
                if n >= online.WARM_UP_REQUESTS:
                    times[p].append((time.perf_counter() - started) * 1000)
        files = {p: len(c.get(f"/v1/deployments/cap-{p}/captures", params={"limit": 1000}).json()["captures"])
                 for p in PERCENTS}
    print(f"capture files written: {files}")
    return times


def report(times: dict[int, list[float]]) -> None:
    figures = {p: (statistics.median(t), statistics.quantiles(t, n=100, method="inclusive")[98])
               for p, t in times.items()}
    base50, base99 = figures[0]
    print("\n| capture | p50 ms | p99 ms | p50 added | p99 added |")
    print("| --- | --- | --- | --- | --- |")
    for p, (p50, p99) in figures.items():
        print(f"| {p}% | {p50:.3f} | {p99:.3f} | {p50 - base50:+.3f} ms ({p50 / base50:.2f}x) | "
              f"{p99 - base99:+.3f} ms ({p99 / base99:.2f}x) |")


def main() -> None:
    args = parse()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        model_file = tmp / "model.joblib"
        joblib.dump(train_credit_risk(make_credit_risk(5_000, seed=1)), model_file)
        redis, api, url = start(tmp)
        try:
            report(measure(url, model_file, args.rounds))
        finally:
            api.terminate()
            api.wait(timeout=60)
            redis.terminate()
            redis.wait(timeout=10)


if __name__ == "__main__":
    main()
