"""Latency and throughput of small jobs on a private service, driven through batchsvc.client.

Starts its own redis-server, API and `batchsvc worker --processes 2`, registers a small model, then
  1. submits one-row inline jobs one after another, waiting for each (Job.wait, the long poll):
     median and p95 submit -> completed, as a client sees it;
  2. submits a burst of one-row jobs as fast as a few threads can, and times until all finished:
     the sustained rate in jobs/s, and the CPU each process spent per job (Linux /proc).

    python scripts/bench_latency.py                       # 200 sequential, 2,000 in the burst
    python scripts/bench_latency.py --threads 2 --model credit-risk
Targets (issue 23): median <= 15 ms, p95 <= 30 ms, >= 250 jobs/s from 8 submitting threads.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's batchsvc, whatever else is installed

from batchsvc.cli import redis_server as redisproc  # noqa: E402
from batchsvc.client.client import Client  # noqa: E402

TARGET_MEDIAN_MS, TARGET_P95_MS, TARGET_RATE = 15, 30, 250
WARM_UP_JOBS = 20  # each worker process loads the model once; the bench measures warm workers
START_TIMEOUT_S = 180  # a loaded machine takes a while to import and start the processes
STOP_TIMEOUT_S = 60  # the worker supervisor gives its processes BATCHSVC_SHUTDOWN_S (30 s) and a margin
FINISHED_POLL_S = 0.1  # /metrics read this often during the burst: its CPU counts as the API's
CLIENT_TIMEOUT_S = 300  # registering a model on a loaded machine
ENGINE_TRIAL_TIMEOUT_S = 600  # compiling and verifying the onnx engine on a loaded machine
SMALL_FEATURES = ["a", "b", "c", "d"]


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sequential", type=int, default=200, help="one-row jobs submitted one after another")
    p.add_argument("--burst", type=int, default=2000, help="one-row jobs submitted as fast as possible")
    p.add_argument("--submitters", type=int, default=8, help="client threads submitting the burst")
    p.add_argument("--processes", type=int, default=2, help="worker processes")
    p.add_argument("--threads", type=int, default=1, help="worker threads per process (prefetch = threads)")
    p.add_argument("--worker-timeout-ms", type=int, default=1000, help="BATCHSVC_WORKER_TIMEOUT_MS")
    p.add_argument("--count-redis", type=int, default=20, metavar="JOBS",
                   help="Redis commands per job, counted with MONITOR over this many sequential jobs (0: skip)")
    p.add_argument("--model", choices=["small", "credit-risk"], default="small",
                   help="small: LogisticRegression on 4 numbers; credit-risk: the 20-column sample pipeline")
    return p.parse_args()


class Service:
    """A private redis-server, API and worker supervisor, stopped on exit."""

    def __init__(self, tmp: Path, args: argparse.Namespace):
        self.tmp, self.args, self.procs = tmp, args, {}

    def __enter__(self) -> "Service":
        redis_port, api_port = _free_port(), _free_port()
        self.redis_url = f"redis://127.0.0.1:{redis_port}/0"
        self.redis = redisproc.start(redis_port, self.tmp / "redis", appendonly=True)
        self.env = {**os.environ, "BATCHSVC_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
                    "BATCHSVC_DATA_DIR": str(self.tmp / "data"),
                    "BATCHSVC_WORKER_TIMEOUT_MS": str(self.args.worker_timeout_ms)}
        self.procs["api"] = self._start(["api", "--port", str(api_port)], "api.log")
        self.procs["workers"] = self._start(["worker", "--processes", str(self.args.processes),
                                             "--threads", str(self.args.threads)], "workers.log")
        self.url = f"http://127.0.0.1:{api_port}"
        try:
            self._wait_ready()
        except BaseException:  # __exit__ does not run when __enter__ fails: stop what was started
            self.__exit__(None, None, None)
            raise
        return self

    def _start(self, args: list[str], log: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "batchsvc.cli", *args], cwd=ROOT, env=self.env,
                                stdout=open(self.tmp / log, "wb"), stderr=subprocess.STDOUT)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                with Client(self.url) as c:
                    if c.ready().get("workers", 0) >= self.args.processes:
                        return
            except Exception:
                pass
            time.sleep(0.2)
        raise SystemExit(f"the service did not start; see the logs in {self.tmp}")

    def pids(self) -> dict[str, list[int]]:
        workers = _children(self.procs["workers"].pid)
        return {"api": [self.procs["api"].pid], "workers": workers, "redis": [self.redis.pid],
                "client (this)": [os.getpid()]}

    def __exit__(self, *exc) -> None:
        for proc in (*self.procs.values(), self.redis):
            proc.terminate()
        for proc in (*self.procs.values(), self.redis):
            proc.wait(timeout=STOP_TIMEOUT_S)


def register_model(client: Client, tmp: Path, kind: str) -> tuple[str, dict]:
    """Register the model; returns its name and a one-row inline input for it."""
    import joblib

    if kind == "credit-risk":
        from batchsvc.scoring.sample import FIELDS, WATSON_ROW, make_credit_risk, train_credit_risk
        estimator, row = train_credit_risk(make_credit_risk(3_000, seed=7)), {"fields": FIELDS, "values": [WATSON_ROW]}
    else:
        import numpy as np
        import pandas as pd
        from sklearn.linear_model import LogisticRegression

        X = pd.DataFrame(np.random.default_rng(0).normal(size=(500, 4)), columns=SMALL_FEATURES)
        estimator = LogisticRegression().fit(X, np.where(X.a + X.b > 0, "yes", "no"))
        row = {"fields": SMALL_FEATURES, "values": [[0.1, -0.2, 0.3, 0.4]]}
    joblib.dump(estimator, tmp / "model.joblib")
    client.register_model(kind, tmp / "model.joblib")
    engine = _engine_trial(client, kind)
    print(f"model {kind}: engine {engine.get('chosen')}"
          + (f" ({engine['refused_reason'][:100]})" if engine.get("refused_reason") else ""), flush=True)
    return kind, row


def _engine_trial(client: Client, name: str) -> dict:
    """The version's engine record, once its trial (run after registration) is done: jobs measured before that
    would score with scikit-learn although the onnx engine is chosen."""
    deadline = time.monotonic() + ENGINE_TRIAL_TIMEOUT_S
    while time.monotonic() < deadline:
        engine = client.get_model(name)["versions"][-1].get("engine")
        if engine and engine.get("chosen"):
            return engine
        time.sleep(0.5)
    raise SystemExit(f"the engine trial of {name} did not finish in {ENGINE_TRIAL_TIMEOUT_S} s")


def sequential(client: Client, model: str, row: dict, count: int) -> tuple[list[float], list[float]]:
    """Submit -> completed per job as the client sees it, and created -> finished as the server saw it."""
    seen, server = [], []
    for _ in range(count):
        started = time.perf_counter()
        job = client.submit(model, row).wait()
        seen.append(time.perf_counter() - started)
        server.append(_seconds(job.record["created_at"], job.record["finished_at"]))
    return seen, server


def burst(client: Client, model: str, row: dict, count: int, submitters: int) -> tuple[float, float, dict]:
    """Submit count jobs from several threads; returns (accept rate, finish rate, final job counts)."""
    before = _job_counts(client)
    started = time.perf_counter()
    with ThreadPoolExecutor(submitters) as pool:
        list(pool.map(lambda _: client.submit(model, row), range(count)))
    accepted = time.perf_counter()
    while _finished(_job_counts(client)) - _finished(before) < count:
        time.sleep(FINISHED_POLL_S)
    done = time.perf_counter()
    after = _job_counts(client)
    return count / (accepted - started), count / (done - started), {s: after[s] - before[s] for s in after}


def redis_commands(redis_url: str, client: Client, model: str, row: dict, count: int) -> Counter:
    """The Redis commands count sequential one-row jobs cost, seen with MONITOR: a command a client sends
    (a round trip, or part of a pipeline's) by its name, EVALSHA by its script's digest; a command a Lua
    script runs inside Redis as "lua:NAME"."""
    import threading

    import redis

    seen: Counter = Counter()
    stop = threading.Event()
    with redis.Redis.from_url(redis_url).monitor() as monitor:
        def listen() -> None:
            for command in monitor.listen():
                if stop.is_set():
                    return
                words = command["command"].split()
                name = words[0].upper() if words else "?"
                name = f"{name} {words[1][:8]}" if name == "EVALSHA" else name
                seen[f"lua:{name}" if command.get("client_type") == "lua" else name] += 1

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        sequential(client, model, row, count)
        stop.set()
        redis.Redis.from_url(redis_url).ping()  # one more command ends the listener's wait
        listener.join(timeout=5)
    return seen


def print_commands(seen: Counter, jobs: int) -> None:
    """Commands sent per job (by name, most first), and those Lua scripts ran inside Redis."""
    for inside in (False, True):
        mine = {n: c / jobs for n, c in seen.items() if n.startswith("lua:") == inside}
        what = "run inside Lua scripts" if inside else "sent by clients (workers' heartbeats included)"
        print(f"Redis commands per job {what}, MONITOR over {jobs} sequential jobs: {sum(mine.values()):.1f}\n  "
              + ", ".join(f"{n} {c:.1f}" for n, c in sorted(mine.items(), key=lambda x: -x[1])), flush=True)


def _job_counts(client: Client) -> dict[str, int]:
    """Jobs by state from /metrics (the Redis status indexes)."""
    counts = {}
    for line in client.http.get("/metrics").text.splitlines():
        if line.startswith("batchsvc_jobs{"):
            state = line.split('"')[1]
            counts[state] = int(float(line.rsplit(" ", 1)[1]))
    return counts


def _finished(counts: dict[str, int]) -> int:
    return counts.get("completed", 0) + counts.get("failed", 0) + counts.get("canceled", 0)


def cpu_seconds(pids: dict[str, list[int]]) -> dict[str, float]:
    """CPU seconds (user + system) each group of processes has used so far (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for name, group in pids.items():
        total = 0.0
        for pid in group:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        out[name] = total
    return out


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _seconds(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def _ms(values: list[float], q: float) -> float:
    return 1000 * sorted(values)[min(len(values) - 1, int(q * len(values)))]


def _mark(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main() -> None:
    args = parse()
    print(f"batchsvc bench: {args.processes} worker processes x {args.threads} thread(s) (prefetch = threads), "
          f"BATCHSVC_WORKER_TIMEOUT_MS={args.worker_timeout_ms}, model {args.model}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    with (tempfile.TemporaryDirectory() as tmp, Service(Path(tmp), args) as svc,
          Client(svc.url, timeout_s=CLIENT_TIMEOUT_S) as client):
        model, row = register_model(client, Path(tmp), args.model)
        sequential(client, model, row, WARM_UP_JOBS)
        seen, server = sequential(client, model, row, args.sequential)
        median, p95 = 1000 * statistics.median(seen), _ms(seen, 0.95)
        print(f"{args.sequential} one-row jobs one after another, submit -> completed via Client.submit().wait():\n"
              f"  median {median:.1f} ms [{_mark(median <= TARGET_MEDIAN_MS)}], p95 {p95:.1f} ms "
              f"[{_mark(p95 <= TARGET_P95_MS)}], max {_ms(seen, 1):.1f} ms; the server's created -> finished: "
              f"median {1000 * statistics.median(server):.1f} ms", flush=True)
        if args.count_redis:
            seen = redis_commands(svc.redis_url, client, model, row, args.count_redis)
            print_commands(seen, args.count_redis)
        pids = svc.pids()
        cpu_before = cpu_seconds(pids)
        accept_rate, rate, counts = burst(client, model, row, args.burst, args.submitters)
        cpu = {k: v - cpu_before[k] for k, v in cpu_seconds(pids).items()}
        print(f"{args.burst} one-row jobs from {args.submitters} client threads: accepted at {accept_rate:.0f} jobs/s; "
              f"all finished at {rate:.0f} jobs/s [{_mark(rate >= TARGET_RATE)}] ({counts})")
        print("  CPU per job: " + ", ".join(f"{k} {1000 * v / args.burst:.2f} ms" for k, v in cpu.items())
              + f"; load average now {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
