"""Scoring benchmark: the service against a naive pandas script and a tuned stream, measured in one run.

For each size it prints wall times, ratios and every worker process's peak RSS (VmHWM). Each service
configuration gets fresh worker processes, so peaks are per configuration. Worker start-up is not timed
(a service's workers are warm); the scripts pay their imports and model load, as a user's script would.

  python scripts/bench_scoring.py                      # 1M rows: naive, tuned, service with 1 and 2 workers
  python scripts/bench_scoring.py --rows 1000000 10000000 --skip-naive-over 2000000
"""

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx
import joblib
import pyarrow as pa
import pyarrow.parquet as pq

from batchsvc.cli import redis_server as redisproc
from batchsvc.scoring.sample import make_credit_risk, train_credit_risk

ROOT = Path(__file__).resolve().parent.parent
GEN_BLOCK_ROWS = 1_000_000
ROW_GROUP_ROWS = 50_000

NAIVE = """
import sys, pandas as pd, joblib
from batchsvc.scoring.sample import FIELDS
model = joblib.load(sys.argv[1]); df = pd.read_parquet(sys.argv[2])
out = pd.DataFrame({"CustomerID": df["CustomerID"], "prediction": model.predict(df[FIELDS])})
proba = model.predict_proba(df[FIELDS])
for i, c in enumerate(model.classes_):
    out[f"probability_{c}"] = proba[:, i]
out.to_parquet(sys.argv[3])
"""
TUNED = """
import sys, numpy as np, pandas as pd, pyarrow as pa, pyarrow.parquet as pq, joblib
from batchsvc.scoring.sample import FIELDS
model = joblib.load(sys.argv[1]); writer = None
for batch in pq.ParquetFile(sys.argv[2]).iter_batches(batch_size=50_000, columns=["CustomerID", *FIELDS]):
    df = batch.to_pandas(); proba = model.predict_proba(df[FIELDS])
    out = pd.DataFrame({"CustomerID": df["CustomerID"], "prediction": model.classes_[proba.argmax(1)]})
    for i, c in enumerate(model.classes_):
        out[f"probability_{c}"] = proba[:, i]
    t = pa.Table.from_pandas(out, preserve_index=False)
    writer = writer or pq.ParquetWriter(sys.argv[3], t.schema); writer.write_table(t)
writer.close()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_input(path: Path, rows: int) -> None:
    with pq.ParquetWriter(path, pa.Schema.from_pandas(make_credit_risk(10), preserve_index=False)) as writer:
        for start in range(0, rows, GEN_BLOCK_ROWS):
            block = make_credit_risk(min(GEN_BLOCK_ROWS, rows - start), seed=start)
            block["CustomerID"] += start
            writer.write_table(pa.Table.from_pandas(block, preserve_index=False), row_group_size=ROW_GROUP_ROWS)


def timed_script(code: str, model: Path, data: Path, out: Path, env: dict) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", textwrap.dedent(code), str(model), str(data), str(out)], env=env,
                   check=True, cwd=ROOT)
    return time.perf_counter() - started


class Service:
    """A private Redis, the API and a fresh `batchsvc worker --processes N`."""

    def __init__(self, workdir: Path, processes: int, model: Path, inputs: Path):
        self.port = free_port()
        self.redis = redisproc.start(free_port(), workdir / "redis", appendonly=False)
        self.env = {**os.environ, "BATCHSVC_REDIS_URL": f"redis://127.0.0.1:{self.redis.args[2]}/0",
                    "BATCHSVC_DATA_DIR": str(workdir / "data"), "BATCHSVC_DATA_ROOTS": str(inputs)}
        cli = [sys.executable, "-m", "batchsvc.cli"]
        log = open(workdir / f"service-{processes}.log", "ab")
        self.api = subprocess.Popen([*cli, "api", "--port", str(self.port)], env=self.env, stdout=log, stderr=log)
        self.workers = subprocess.Popen([*cli, "worker", "--processes", str(processes)], env=self.env, stdout=log,
                                        stderr=log)
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=120)
        self._wait_ready(processes)
        with open(model, "rb") as f:
            self.http.post("/v1/models/credit/versions", files={"file": f}).raise_for_status()

    def _wait_ready(self, processes: int) -> None:
        for _ in range(600):
            try:
                if self.http.get("/readyz").json().get("workers", 0) >= processes:
                    return
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.1)
        raise SystemExit("service did not start")

    def run(self, path: Path) -> tuple[float, dict]:
        started = time.perf_counter()
        response = self.http.post("/v1/jobs", json={"model": "credit", "input": {"path": str(path)},
                                                    "output": {"passthrough": ["CustomerID"]}})
        if response.status_code != 202:
            raise SystemExit(f"submit failed: {response.text}")
        job = response.json()
        while job["status"] in ("queued", "running"):
            job = self.http.get(f"/v1/jobs/{job['id']}", params={"wait": 60}).json()
        elapsed = time.perf_counter() - started
        if job["status"] != "completed":
            raise SystemExit(f"job {job['status']}: {job['error']}")
        return elapsed, job

    def worker_peaks_mib(self) -> list[float]:
        children = subprocess.run(["pgrep", "-P", str(self.workers.pid)], capture_output=True, text=True).stdout
        return [_vm_hwm_mib(int(pid)) for pid in children.split()]

    def close(self) -> None:
        for proc in (self.workers, self.api):
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
        self.redis.terminate()
        self.http.close()


def _vm_hwm_mib(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bench_size(workdir: Path, model: Path, rows: int, run_naive: bool, worker_counts: list[int]) -> dict:
    data = workdir / f"credit_{rows}.parquet"
    make_input(data, rows)
    warm = workdir / "warm.parquet"
    make_input(warm, 2 * ROW_GROUP_ROWS)
    one_core = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    figures = {"rows": rows}
    if run_naive:
        figures["naive_s"] = timed_script(NAIVE, model, data, workdir / "naive.parquet", dict(os.environ))
    figures["tuned_s"] = timed_script(TUNED, model, data, workdir / "tuned.parquet", one_core)
    for n in worker_counts:
        service = Service(workdir / f"svc-{rows}-{n}", n, model, workdir)
        try:
            service.run(warm)  # load the model into the workers, as a running service has
            figures[f"service_{n}w_s"], _ = service.run(data)
            figures[f"peak_rss_{n}w_mib"] = service.worker_peaks_mib()
        finally:
            service.close()
    return figures


def report(figures: dict) -> None:
    print(f"\n== {figures['rows']:,} rows ==")
    naive, tuned = figures.get("naive_s"), figures["tuned_s"]
    print(f"naive pandas script        {naive:8.2f} s" if naive else "naive pandas script        skipped")
    print(f"tuned stream, one core     {tuned:8.2f} s")
    for key, value in figures.items():
        if key.startswith("service_"):
            n = key.split("_")[1]
            ratios = f"service/tuned {value / tuned:5.2f}x"
            ratios += f"  service/naive {value / naive:5.2f}x" if naive else ""
            peaks = ", ".join(f"{p:.0f}" for p in figures[f"peak_rss_{n}_mib"])
            print(f"service, {n[:-1]} worker(s)       {value:8.2f} s   {ratios}   worker peak RSS MiB: {peaks}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--skip-naive-over", type=int, default=2_000_000,
                        help="skip the naive script above this many rows (it holds everything in memory)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="batchsvc-bench-") as tmp:
        workdir = Path(tmp)
        model = workdir / "model.joblib"
        joblib.dump(train_credit_risk(make_credit_risk(20_000, seed=43)), model)
        results = [bench_size(workdir, model, rows, rows <= args.skip_naive_over, args.workers) for rows in args.rows]
    for figures in results:
        report(figures)
    if len(results) > 1:
        small, big = results[0], results[-1]
        for n in args.workers:
            ratio = max(big[f"peak_rss_{n}w_mib"]) / max(small[f"peak_rss_{n}w_mib"])
            print(f"peak RSS {big['rows']:,} / {small['rows']:,} rows, {n} worker(s): {ratio:.2f}x")


if __name__ == "__main__":
    main()
