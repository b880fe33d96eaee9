"""Online predictions side by side: batchsvc and the model servers people would run instead, same model, same
client, same run.

Trains the credit-risk pipeline (batchsvc.scoring.sample) and saves it once; then, one server at a time:
  - batchsvc: a private redis-server and `batchsvc api --workers N` (for each N asked), the model registered
    (its onnx engine compiled and verified) and deployed;
  - its peers (scripts/bench_peers.py), each installed by this script into its own venv (tests/vendors.py):
    MLServer 1.7.1 with mlserver-sklearn, Azure's azmlinfsrv 1.5.1, MLflow's `models serve` (mlflow-skinny
    3.18.0), each with its default settings, on loopback only (azmlinfsrv binds 0.0.0.0 and has no host option:
    it runs, with its client, in a network namespace of its own with only `lo` up: `unshare --net`);
and measures, over keep-alive HTTP clients (httpx): one-row p50/p99 of requests sent one after another, requests/s
from 8 client threads, and the server's CPU (all its processes, from /proc; batchsvc's Redis too) per request
during those 8 threads; then requests/s, p50/p99 and CPU per request from 32 wrk connections (`--crowd`;
scripts/bench_wrk.py, installed with apt-get when missing), batchsvc's with its onnx engine and with engine sklearn,
each with batching off and on (four deployments of the same model), in alternating runs.
Prints two tables with the ratios against the best peer, and the load average before and after.

    python scripts/bench_online.py                              # batchsvc with 1 and 2 processes, every peer
    python scripts/bench_online.py --processes 2 --peers azureml --sequential 2000 --burst 5000
    python scripts/bench_online.py --processes 1 --peers --crowd 32 --max-wait-us 1000   # batching alone
Targets (issue 21): with 2 API processes >= 5x the best peer's requests/s, p50 <= 0.35x the best peer's,
<= 2 ms of server CPU per one-row request.
"""

import argparse
import json
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

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]  # this checkout's batchsvc, whatever else is installed

import bench_peers as peers  # noqa: E402
import bench_wrk  # noqa: E402

from batchsvc.cli import redis_server as redisproc  # noqa: E402
from batchsvc.scoring.sample import FIELDS, WATSON_ROW, make_credit_risk, train_credit_risk  # noqa: E402

TARGET_RATE_X, TARGET_P50_X, TARGET_CPU_MS = 5.0, 0.35, 2.0
WARM_UP_REQUESTS = 100  # per server: models load, caches fill
START_TIMEOUT_S = 300  # a loaded machine starts a server slowly
BODY = {"input_data": [{"fields": FIELDS, "values": [WATSON_ROW]}]}
BATCHED = "batched"  # in the name of batchsvc's deployments with batching on
DEPLOYMENTS = {"onnx": {}, f"onnx-{BATCHED}": {}, "sklearn": {"engine": "sklearn"},
               f"sklearn-{BATCHED}": {"engine": "sklearn"}}  # batchsvc's, of one model: its engine, batching
ROUNDS = 2  # batchsvc's crowd runs, each deployment in turn, this many times each


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--processes", type=int, nargs="*", default=[1, 2], help="batchsvc API processes to measure")
    p.add_argument("--peers", nargs="*", default=[x.name for x in peers.PEERS], help="peers to measure")
    p.add_argument("--sequential", type=int, default=500, help="one-row requests sent one after another")
    p.add_argument("--burst", type=int, default=2000, help="one-row requests sent from the client threads")
    p.add_argument("--threads", type=int, default=8, help="client threads of the burst")
    p.add_argument("--crowd", type=int, default=32, help="wrk connections of the crowd run (0: none)")
    p.add_argument("--crowd-seconds", type=int, default=8, help="seconds of each crowd run (wrk -d)")
    p.add_argument("--max-batch-size", type=int, default=32, help="batchsvc's batching: rows per engine call")
    p.add_argument("--max-wait-us", type=int, default=500, help="batchsvc's batching: added wait, microseconds")
    p.add_argument("--inside", help=argparse.SUPPRESS)  # internal: measure this peer here (in its namespace)
    p.add_argument("--model", help=argparse.SUPPRESS)
    return p.parse_args()


def wait_ready(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.terminate()
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
    raise SystemExit(f"the server did not start; the end of {log}:\n{tail}")


def measure(path: str, body: dict, pids: list[int], args, crowd: bool = True) -> dict:
    """p50/p99 one after another, then requests/s and server CPU (`pids` and their children) per request from the
    client threads; then the crowd's, unless `crowd` is false (batchsvc's: `alternating`)."""
    with httpx.Client(timeout=60) as c:
        for _ in range(WARM_UP_REQUESTS):
            c.post(path, json=body).raise_for_status()
        times = []
        for _ in range(args.sequential):
            started = time.perf_counter()
            c.post(path, json=body).raise_for_status()
            times.append((time.perf_counter() - started) * 1000)
    burst = summary(clients(path, body, pids, args.threads, args.burst))
    result = {"p50": statistics.median(times), "p99": percentile(times, 99), "rate": burst["rate"],
              "cpu_ms": burst["cpu_ms"]}
    if args.crowd and crowd:
        result["crowd"] = bench_wrk.merged([crowd_run(path, body, pids, args)])
    return result


def alternating(paths: dict[str, str], body: dict, pids: list[int], args) -> dict[str, dict]:
    """The crowd's figures for each path, its runs alternating with the others' (ROUNDS each), so that a load
    that drifts meets every path alike."""
    runs: dict[str, list] = {label: [] for label in paths}
    for _ in range(ROUNDS):
        for label, path in paths.items():
            runs[label].append(crowd_run(path, body, pids, args))
    return {label: bench_wrk.merged(parts) for label, parts in runs.items()}


def crowd_run(path: str, body: dict, pids: list[int], args) -> dict:
    """One wrk run of `args.crowd` connections (scripts/bench_wrk.py), the server's CPU taken from `pids`."""
    return bench_wrk.run(path, body, args.crowd, args.crowd_seconds, lambda: sum(map(peers.cpu_s, pids)))


def summary(run: tuple[list[float], float, float, float]) -> dict:
    """Requests/s, p50/p99, and server CPU ms per request of a run of `clients`."""
    times, elapsed, cpu, _ = run
    return {"rate": len(times) / elapsed, "p50": statistics.median(times), "p99": percentile(times, 99),
            "cpu_ms": cpu * 1000 / len(times)}


def clients(path: str, body: dict, pids: list[int], threads: int, requests: int
            ) -> tuple[list[float], float, float, float]:
    """`requests` one-row requests from `threads` client threads (a keep-alive connection each): their times (ms),
    the seconds they took, and the server's and this client's CPU seconds meanwhile."""
    share = [requests // threads + (i < requests % threads) for i in range(threads)]

    def client(count: int) -> list[float]:
        times = []
        with httpx.Client(timeout=60) as c:
            for _ in range(count):
                started = time.perf_counter()
                c.post(path, json=body).raise_for_status()
                times.append((time.perf_counter() - started) * 1000)
        return times

    with ThreadPoolExecutor(threads) as pool:
        before, started, mine = sum(map(peers.cpu_s, pids)), time.perf_counter(), time.process_time()
        times = [t for each in pool.map(client, share) for t in each]
        elapsed, cpu = time.perf_counter() - started, sum(map(peers.cpu_s, pids)) - before
    return times, elapsed, cpu, time.process_time() - mine


def percentile(times: list[float], k: int) -> float:
    return statistics.quantiles(times, n=100, method="inclusive")[k - 1]


def batchsvc(processes: int, model_file: Path, tmp: Path, args) -> dict:
    port, api_port = peers.free_port(), peers.free_port()
    redis = redisproc.start(port, tmp / f"redis-{processes}")
    env = {**os.environ, "BATCHSVC_REDIS_URL": f"redis://127.0.0.1:{port}/0",
           "BATCHSVC_DATA_DIR": str(tmp / f"data-{processes}")}
    log = tmp / f"api-{processes}.log"
    api = subprocess.Popen([sys.executable, "-m", "batchsvc.cli", "api", "--port", str(api_port), "--workers",
                            str(processes)], cwd=ROOT, env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{api_port}"
    try:
        wait_ready(f"{url}/healthz", api, log)
        with httpx.Client(base_url=url, timeout=300) as c:
            c.post("/v1/models/credit-risk/versions", files={"file": ("m.joblib", model_file.read_bytes())}
                   ).raise_for_status()
            batching = {"max_batch_size": args.max_batch_size, "max_wait_us": args.max_wait_us}
            for name, settings in DEPLOYMENTS.items():
                c.post("/v1/deployments", json={"name": name, "model": "credit-risk", **settings,
                                                **({"batching": batching} if BATCHED in name else {})}
                       ).raise_for_status()
        # the server's CPU is the API processes' and Redis's
        pids, paths = [api.pid, redis.pid], {name: f"{url}/v1/deployments/{name}/predictions" for name in DEPLOYMENTS}
        result = measure(paths["onnx"], BODY, pids, args, crowd=False)
        if args.crowd:
            for path in paths.values():
                for _ in range(WARM_UP_REQUESTS):
                    httpx.post(path, json=BODY, timeout=60).raise_for_status()
            result["crowds"] = alternating(paths, BODY, pids, args)
            for name in (n for n in DEPLOYMENTS if BATCHED in n):
                logs = httpx.get(f"{url}/v1/deployments/{name}/logs", params={"limit": 1000}).json()
                result["crowds"][name]["batch"] = statistics.mean(e.get("batch") or 1 for e in logs["logs"])
        return result
    finally:
        api.terminate()
        api.wait(timeout=60)
        redis.terminate()
        redis.wait(timeout=10)


def peer(name: str, model_file: Path, tmp: Path, args) -> dict:
    """A peer measured here; azmlinfsrv (0.0.0.0 only) in a network namespace with only loopback, by this script."""
    if name == peers.AZUREML.name and not args.inside:
        command = (f"ip link set lo up && exec {sys.executable} {Path(__file__).resolve()} --inside {name} "
                   f"--model {model_file} --sequential {args.sequential} --burst {args.burst} "
                   f"--threads {args.threads} --crowd {args.crowd} --crowd-seconds {args.crowd_seconds}")
        out = subprocess.run(["unshare", "--net", "sh", "-c", command], capture_output=True, text=True)
        if out.returncode:
            raise SystemExit(f"{name} in its network namespace failed:\n{out.stdout[-2000:]}{out.stderr[-2000:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])
    chosen = next(p for p in peers.PEERS if p.name == name)
    chosen.install()
    folder = tmp / name
    folder.mkdir(parents=True, exist_ok=True)
    served = peers.serve(chosen, folder, model_file, FIELDS, WATSON_ROW)
    log = folder / "server.log"
    proc = subprocess.Popen(served.command, cwd=folder, env={**os.environ, **served.env}, stdout=open(log, "wb"),
                            stderr=subprocess.STDOUT)
    try:
        wait_ready(served.ready_path, proc, log)
        return measure(served.path, served.body, [proc.pid], args)
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def report(rows: dict[str, dict], args) -> None:
    peer_rows = {k: v for k, v in rows.items() if not k.startswith("batchsvc")}
    best_rate = max((r["rate"] for r in peer_rows.values()), default=None)
    best_p50 = min((r["p50"] for r in peer_rows.values()), default=None)
    print(f"\n| server | requests/s ({args.threads} threads) | p50 ms | p99 ms | server CPU ms/request "
          "| vs best peer |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, r in rows.items():
        ratio = (f"{r['rate'] / best_rate:.2f}x requests/s, p50 {r['p50'] / best_p50:.2f}x"
                 if best_rate and best_p50 else "")
        print(f"| {name} | {r['rate']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {r['cpu_ms']:.2f} | {ratio} |",
              flush=True)
    print(f"targets with 2 API processes: >= {TARGET_RATE_X}x the best peer's requests/s, p50 <= {TARGET_P50_X}x "
          f"the best peer's, <= {TARGET_CPU_MS} ms server CPU per request; 1 process no worse per request than 2")
    one, two = rows.get("batchsvc, 1 API process(es)"), rows.get("batchsvc, 2 API process(es)")
    if two and best_rate and best_p50:
        met = {"requests/s": two["rate"] / best_rate >= TARGET_RATE_X, "p50": two["p50"] / best_p50 <= TARGET_P50_X,
               "CPU": two["cpu_ms"] <= TARGET_CPU_MS}
        print("with 2 API processes: " + ", ".join(f"{k} {'met' if v else 'NOT met'}" for k, v in met.items()))
    if one and two:
        print(f"1 vs 2 API processes: server CPU per request {one['cpu_ms']:.2f} vs {two['cpu_ms']:.2f} ms, "
              f"requests/s {one['rate']:.0f} vs {two['rate']:.0f}")
    if args.crowd:
        crowd_report(rows, args)


def crowd_report(rows: dict[str, dict], args) -> None:
    """The crowd's table: batchsvc's engines with batching off and on, the peers, and the ratios to the best peer."""
    crowd = {}
    for name, r in rows.items():
        for label, figures in r.get("crowds", {"": r.get("crowd")}).items():
            batched = f", batching {args.max_batch_size} rows / {args.max_wait_us} us (requests per engine call: " \
                      f"{figures['batch']:.1f})" if "batch" in figures else ""
            crowd[f"{name}{', ' + label.split('-')[0] + ' engine' if label else ''}{batched}"] = figures
    best = max((r["rate"] for k, r in crowd.items() if not k.startswith("batchsvc")), default=None)
    print(f"\n| server, {args.crowd} wrk connections | requests/s | p50 ms | p99 ms | server CPU ms/request "
          "| wrk CPU ms/request | vs best peer |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, r in crowd.items():
        ratio = f"{r['rate'] / best:.2f}x requests/s" if best else ""
        print(f"| {name} | {r['rate']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {r['cpu_ms']:.2f} "
              f"| {r['client_cpu_ms']:.3f} | {ratio} |", flush=True)


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().strip()


def main() -> None:
    args = parse()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if args.inside:
            print(json.dumps(peer(args.inside, Path(args.model), tmp, args)))
            return
        print(f"load average at the start: {loadavg()}", flush=True)
        model_file = tmp / "model.joblib"
        joblib.dump(train_credit_risk(make_credit_risk(5_000, seed=1)), model_file)
        rows = {}
        for processes in args.processes:
            rows[f"batchsvc, {processes} API process(es)"] = batchsvc(processes, model_file, tmp, args)
            print(f"batchsvc {processes}: {rows[f'batchsvc, {processes} API process(es)']}", flush=True)
        for name in args.peers:
            rows[name] = peer(name, model_file, tmp, args)
            print(f"{name}: {rows[name]}", flush=True)
        report(rows, args)
        print(f"load average at the end: {loadavg()}")


if __name__ == "__main__":
    main()
