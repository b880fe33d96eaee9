"""Scoring benchmark: the service against a naive pandas script and a tuned stream, measured in one run.

For each model (the credit-risk LogisticRegression pipeline, and the same pipeline ending in a
RandomForest) and size it prints wall times and their ratio to the naive script: the naive script, the
tuned one-core stream, the CPU floor of each engine (the sum of its per-batch model time over 50k-row
batches, divided by the worker processes), and the service under each engine (`engine: sklearn`, and the
version's verified engine, `auto`), with every worker process's peak RSS (VmHWM). Each service
configuration gets fresh worker processes. Worker start-up is not timed (a service's workers are warm);
the scripts pay their imports and model load, as a user's script would.

  python scripts/bench_scoring.py                      # 1M rows, both models, 2 workers
  python scripts/bench_scoring.py --models lr --rows 1000000 10000000 --skip-naive-over 2000000
  python scripts/bench_scoring.py --store s3 --models lr   # input and data dir on S3 vs local disk (bench_store.py)
"""

import argparse
import json
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
from sklearn.ensemble import RandomForestClassifier

from batchsvc.cli import redis_server as redisproc
from batchsvc.scoring.sample import FIELDS, credit_risk_pipeline, make_credit_risk, train_credit_risk

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
FLOOR = """
import json, sys, time, joblib, pyarrow.parquet as pq
from batchsvc.scoring.modelinfo import inspect_model
from batchsvc.scoring.engines.sklearn import SklearnEngine
from batchsvc.scoring.engines.onnx import OnnxEngine, compile_onnx
from batchsvc.scoring.sample import FIELDS
model = joblib.load(sys.argv[1]); info = inspect_model(model)
engines = {"sklearn": SklearnEngine(model, info)}
try:
    engines["onnx"] = OnnxEngine(compile_onnx(model, info), info, {})
except Exception as exc:
    print("onnx not compiled:", exc, file=sys.stderr)
spent = dict.fromkeys(engines, 0.0)
for batch in pq.ParquetFile(sys.argv[2]).iter_batches(batch_size=50_000, columns=FIELDS):
    frame = batch.to_pandas()
    for name, engine in engines.items():
        started = time.perf_counter(); engine.predict(frame); spent[name] += time.perf_counter() - started
print(json.dumps(spent))
"""
FOREST_TREES, FOREST_DEPTH = 30, 10
START_TIMEOUT_S = 600


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

    def __init__(self, workdir: Path, processes: int, model: Path, inputs: Path, extra_env: dict | None = None):
        self.port = free_port()
        self.redis = redisproc.start(free_port(), workdir / "redis", appendonly=False)
        self.env = {**os.environ, "BATCHSVC_REDIS_URL": f"redis://127.0.0.1:{self.redis.args[2]}/0",
                    "BATCHSVC_DATA_DIR": str(workdir / "data"), "BATCHSVC_DATA_ROOTS": str(inputs), **(extra_env or {})}
        cli = [sys.executable, "-m", "batchsvc.cli"]
        log = open(workdir / f"service-{processes}.log", "ab")
        self.api = subprocess.Popen([*cli, "api", "--port", str(self.port)], env=self.env, stdout=log, stderr=log)
        self.workers = subprocess.Popen([*cli, "worker", "--processes", str(processes)], env=self.env, stdout=log,
                                        stderr=log)
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=120)
        self._wait_ready(processes)
        with open(model, "rb") as f:
            response = self.http.post("/v1/models/credit/versions", files={"file": f})
        response.raise_for_status()
        self.engine = response.json()["engine"]

    def _wait_ready(self, processes: int) -> None:
        """Wait up to START_TIMEOUT_S for the workers (a loaded machine took over a minute to start them)."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                if self.http.get("/readyz").json().get("workers", 0) >= processes:
                    return
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.1)
        raise SystemExit(f"service did not start in {START_TIMEOUT_S} s")

    def run(self, path: Path | str, engine: str = "auto") -> tuple[float, dict]:
        started = time.perf_counter()
        response = self.http.post("/v1/jobs", json={"model": "credit", "input": {"path": str(path)},
                                                    "output": {"passthrough": ["CustomerID"]}, "engine": engine})
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
        self.redis.wait(timeout=30)
        self.http.close()


def _vm_hwm_mib(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_floor(model: Path, data: Path, env: dict, processes: int) -> dict:
    """Each engine's model time summed over 50k-row batches, divided by the worker processes."""
    out = subprocess.run([sys.executable, "-c", FLOOR, str(model), str(data)], env=env, check=True, cwd=ROOT,
                         capture_output=True, text=True).stdout
    return {name: spent / processes for name, spent in json.loads(out.splitlines()[-1]).items()}


def bench_size(workdir: Path, model: Path, rows: int, run_naive: bool, worker_counts: list[int]) -> dict:
    data = workdir / f"credit_{rows}.parquet"
    if not data.exists():
        make_input(data, rows)
    warm = workdir / "warm.parquet"
    make_input(warm, 2 * ROW_GROUP_ROWS)
    one_core = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    figures: dict = {"rows": rows, "model": model.stem}
    if run_naive:
        figures["naive_s"] = timed_script(NAIVE, model, data, workdir / "naive.parquet", dict(os.environ))
    figures["tuned_s"] = timed_script(TUNED, model, data, workdir / "tuned.parquet", one_core)
    for n in worker_counts:
        figures[f"floor_{n}w"] = cpu_floor(model, data, one_core, n)
        service = Service(workdir / f"svc-{model.stem}-{rows}-{n}", n, model, workdir)
        try:
            figures["engine"] = service.engine
            for engine in ("sklearn", "auto"):
                service.run(warm, engine)  # load the model and engine into the workers, as a running service has
                figures[f"service_{n}w_{engine}_s"], job = service.run(data, engine)
                figures[f"used_{n}w_{engine}"] = job.get("engine")
            figures[f"peak_rss_{n}w_mib"] = service.worker_peaks_mib()
        finally:
            service.close()
    return figures


def report(figures: dict, worker_counts: list[int]) -> None:
    engine = figures["engine"]
    print(f"\n== {figures['model']}, {figures['rows']:,} rows ==  engine trial: chosen {engine['chosen']}, "
          f"max difference {engine['max_difference']}, speed-up {engine['speedup']}, "
          f"refused: {engine['refused_reason']}")
    naive = figures.get("naive_s")
    def line(label: str, value: float) -> None:
        print(f"{label:34s} {value:8.2f} s" + (f"   {value / naive:5.3f}x naive" if naive else ""))

    if naive:
        line("naive pandas script", naive)
    line("tuned stream, one core", figures["tuned_s"])
    for n in worker_counts:
        for name, value in figures[f"floor_{n}w"].items():
            line(f"CPU floor {name}, {n} worker(s)", value)
        for name in ("sklearn", "auto"):
            used = figures[f"used_{n}w_{name}"]
            line(f"service {n}w, engine {name} ({used})", figures[f"service_{n}w_{name}_s"])
        print(f"{'':34s} worker peak RSS MiB: " + ", ".join(f"{p:.0f}" for p in figures[f"peak_rss_{n}w_mib"]))


def train(kind: str):
    """The credit-risk pipeline, or the same ending in a RandomForest, fitted on 20k rows."""
    data = make_credit_risk(20_000, seed=43)
    if kind == "lr":
        return train_credit_risk(data)
    pipe = credit_risk_pipeline()
    pipe.steps[-1] = ("model", RandomForestClassifier(n_estimators=FOREST_TREES, max_depth=FOREST_DEPTH,
                                                      random_state=0))
    return pipe.fit(data[FIELDS], data["Risk"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--workers", type=int, nargs="+", default=[2])
    parser.add_argument("--models", nargs="+", choices=["lr", "forest"], default=["lr", "forest"])
    parser.add_argument("--skip-naive-over", type=int, default=2_000_000,
                        help="skip the naive script above this many rows (it holds everything in memory)")
    parser.add_argument("--store", choices=["disk", "s3"], default="disk",
                        help="s3: the job with its input and data dir on a local S3 server, against local disk")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="batchsvc-bench-", ignore_cleanup_errors=True) as tmp:
        workdir = Path(tmp)
        for kind in args.models:
            model = workdir / f"{kind}.joblib"
            joblib.dump(train(kind), model)
            for rows in args.rows:
                if args.store == "s3":
                    bench_s3(workdir, model, rows, args.workers)
                    continue
                results.append(bench_size(workdir, model, rows, rows <= args.skip_naive_over, args.workers))
                report(results[-1], args.workers)


def bench_s3(workdir: Path, model: Path, rows: int, worker_counts: list[int]) -> None:
    """The job with its input and data dir on a local S3 server against local disk (scripts/bench_store.py)."""
    from bench_store import report_store, store_figures
    data, warm = workdir / f"credit_{rows}.parquet", workdir / "warm.parquet"
    make_input(data, rows)
    make_input(warm, 2 * ROW_GROUP_ROWS)
    for n in worker_counts:
        report_store(store_figures(Service, workdir, model, data, warm, n, free_port), rows, n)


if __name__ == "__main__":
    main()
