"""The latency a deployment's rollout features add: traffic routing, a shadow and capture, against the same
deployment without them, same model, same API process, same run.

Starts a private redis-server and `batchsvc api` (one process), registers the credit-risk pipeline twice
(versions 1 and 2, their onnx engines compiled and verified), creates one deployment per configuration in
CONFIGURATIONS, and sends one-row requests one after another over a keep-alive connection, the configurations
taking turns in rounds (so a change in the machine's load falls on all of them alike). Prints p50 and p99 per
configuration and their deltas against the first one (no traffic split, no shadow, no capture).

    python scripts/bench_rollout.py                    # 2,000 requests per configuration, in rounds of 100
    python scripts/bench_rollout.py --requests 5000 --round 250
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import joblib

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]  # this checkout's batchsvc, whatever else is installed

from bench_latency import _free_port, _ms  # noqa: E402

from batchsvc.cli import redis_server as redisproc  # noqa: E402
from batchsvc.scoring.sample import FIELDS, WATSON_ROW, make_credit_risk, train_credit_risk  # noqa: E402

START_TIMEOUT_S = 180  # a loaded machine starts the API slowly
WARM_UP_REQUESTS = 100  # per configuration: models load, caches fill
BODY = {"input_data": [{"fields": FIELDS, "values": [WATSON_ROW]}]}
MODEL = "bench-rollout"

# The configurations measured, by name: the deployment's fields over MODEL's versions 1 and 2. The first is the
# baseline the others are compared with.
CONFIGURATIONS: list[tuple[str, dict]] = [
    ("plain", {"model": f"{MODEL}@1"}),
    ("traffic 90/10", {"traffic": {f"{MODEL}@1": 90, f"{MODEL}@2": 10}}),
    ("shadow 100%", {"model": f"{MODEL}@1", "shadow": {"model": f"{MODEL}@2", "percent": 100}}),
    ("capture 10%", {"model": f"{MODEL}@1", "capture": {"percent": 10}}),
    ("capture 100%", {"model": f"{MODEL}@1", "capture": {"percent": 100}}),
    ("all: 90/10, shadow, capture 100%", {"traffic": {f"{MODEL}@1": 90, f"{MODEL}@2": 10},
                                          "shadow": {"model": f"{MODEL}@2", "percent": 100},
                                          "capture": {"percent": 100}}),
]


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--requests", type=int, default=2000, help="one-row requests per configuration")
    p.add_argument("--round", type=int, default=100, help="requests per configuration before the next one's turn")
    return p.parse_args()


def start_api(tmp: Path, appendonly: bool = False) -> tuple[subprocess.Popen, subprocess.Popen, str]:
    """A private redis-server and one API process; returns both and the API's URL once it answers."""
    redis_port, api_port = _free_port(), _free_port()
    redis = redisproc.start(redis_port, tmp / "redis", appendonly=appendonly)
    env = {**os.environ, "BATCHSVC_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0", "BATCHSVC_DATA_DIR": str(tmp)}
    api = subprocess.Popen([sys.executable, "-m", "batchsvc.cli", "api", "--port", str(api_port)], cwd=ROOT, env=env,
                           stdout=open(tmp / "api.log", "wb"), stderr=subprocess.STDOUT)
    url, deadline = f"http://127.0.0.1:{api_port}", time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline and api.poll() is None:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return redis, api, url
        except httpx.HTTPError:
            time.sleep(0.2)
    api.terminate()
    redis.terminate()
    raise SystemExit(f"the API did not start; see {tmp / 'api.log'}")


def prepare(client: httpx.Client, tmp: Path) -> list[str]:
    """MODEL's two versions registered; one deployment per configuration, in order; returns their names."""
    for seed, rows in ((7, 3_000), (99, 500)):
        joblib.dump(train_credit_risk(make_credit_risk(rows, seed=seed)), tmp / "model.joblib")
        with open(tmp / "model.joblib", "rb") as f:
            client.post(f"/v1/models/{MODEL}/versions", files={"file": ("model.joblib", f)}).raise_for_status()
    names = []
    for i, (_, fields) in enumerate(CONFIGURATIONS):
        names.append(f"rollout-{i}")
        client.post("/v1/deployments", json={"name": names[-1], **fields}).raise_for_status()
    return names


def measure(client: httpx.Client, names: list[str], requests: int, per_round: int) -> dict[str, list[float]]:
    """Seconds per one-row request, per deployment, the deployments taking turns every `per_round` requests."""
    for name in names:
        for _ in range(WARM_UP_REQUESTS):
            client.post(f"/v1/deployments/{name}/predictions", json=BODY).raise_for_status()
    times: dict[str, list[float]] = {name: [] for name in names}
    while len(times[names[0]]) < requests:
        for name in names:
            for _ in range(min(per_round, requests - len(times[name]))):
                started = time.perf_counter()
                client.post(f"/v1/deployments/{name}/predictions", json=BODY).raise_for_status()
                times[name].append(time.perf_counter() - started)
    return times


def main() -> None:
    args = parse()
    print(f"rollout bench: {args.requests} one-row requests per configuration in rounds of {args.round}, one API "
          f"process, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        redis, api, url = start_api(Path(tmp))
        try:
            with httpx.Client(base_url=url, timeout=60) as client:
                names = prepare(client, Path(tmp))
                times = measure(client, names, args.requests, args.round)
                shadowed = next(n for n, (_, fields) in zip(names, CONFIGURATIONS) if fields.get("shadow"))
                shadow = client.get(f"/v1/deployments/{shadowed}/shadow").json()
        finally:
            api.terminate()
            redis.terminate()
            api.wait(timeout=30)
    base50, base99 = _ms(times[names[0]], 0.5), _ms(times[names[0]], 0.99)
    print(f"{'configuration':34} {'p50 ms':>8} {'p99 ms':>8} {'Δp50 ms':>8} {'Δp99 ms':>8}")
    for (label, _), name in zip(CONFIGURATIONS, names):
        p50, p99 = _ms(times[name], 0.5), _ms(times[name], 0.99)
        print(f"{label:34} {p50:8.3f} {p99:8.3f} {p50 - base50:+8.3f} {p99 - base99:+8.3f}")
    print(f"shadow: {shadow['requests']} shadowed, {shadow['dropped']} dropped (pool full), {shadow['errors']} errors, "
          f"label agreement {shadow['label_agreement']}; load average now {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
