"""Where one online request's CPU goes: N one-row predictions through a real API process, profiled.

Starts a private redis-server and `batchsvc api --workers 1` from this checkout, registers the credit-risk
pipeline (batchsvc.scoring.sample), deploys it (`--engine sklearn` to force scikit-learn) and warms it up. Then:
  1. N one-row requests one after another, unprofiled: the API process's and Redis's CPU per request (/proc);
  2. N more under py-spy (a sampling profiler that reads every thread, the scoring threads too, without
     pausing the process: `--nonblocking`), whose samples give the top functions by own and by total time.
It runs unchanged on a checkout older than issue 21 (it uses only the CLI, the HTTP API and the sample model).

    python scripts/profile_request.py                       # 2000 requests, the engine the model verified
    python scripts/profile_request.py --requests 500 --engine sklearn --top 25
py-spy: `pip install py-spy` (found beside this Python or on PATH); it needs ptrace rights (root, or
kernel.yama.ptrace_scope=0).
"""

import argparse
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
import joblib

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]  # this checkout's batchsvc, and the benches' helpers

from bench_peers import cpu_s  # noqa: E402
from bench_rollout import start_api  # noqa: E402

from batchsvc.scoring.sample import FIELDS, WATSON_ROW, make_credit_risk, train_credit_risk  # noqa: E402

BODY = {"input_data": [{"fields": FIELDS, "values": [WATSON_ROW]}]}
WARM_UP_REQUESTS = 200
SAMPLES_PER_S = 1000  # py-spy's sampling rate


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--requests", type=int, default=2000, help="one-row requests per phase")
    p.add_argument("--engine", choices=["auto", "sklearn"], default="auto", help="the deployment's engine")
    p.add_argument("--top", type=int, default=15, help="functions listed by own and by total time")
    return p.parse_args()


def py_spy() -> str:
    beside = Path(sys.executable).parent / "py-spy"
    found = str(beside) if beside.exists() else shutil.which("py-spy")
    if found is None:
        raise SystemExit("profile_request.py needs py-spy: pip install py-spy")
    return found


def deploy(url: str, tmp: Path, engine: str) -> str:
    """The sample model registered and deployed; the predictions path."""
    model_file = tmp / "model.joblib"
    joblib.dump(train_credit_risk(make_credit_risk(5_000, seed=1)), model_file)
    with httpx.Client(base_url=url, timeout=300) as c:
        c.post("/v1/models/credit-risk/versions", files={"file": ("m.joblib", model_file.read_bytes())}
               ).raise_for_status()
        settings = {"engine": engine} if engine != "auto" else {}
        c.post("/v1/deployments", json={"name": "profiled", "model": "credit-risk", **settings}).raise_for_status()
    return f"{url}/v1/deployments/profiled/predictions"


def send(path: str, count: int) -> float:
    """`count` one-row requests one after another; the seconds they took."""
    started = time.perf_counter()
    with httpx.Client(timeout=60) as c:
        for _ in range(count):
            c.post(path, json=BODY).raise_for_status()
    return time.perf_counter() - started


def top(raw: Path, count: int) -> tuple[int, list, list]:
    """py-spy's collapsed stacks ("frame;frame;... samples") as the functions with the most own and total samples."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        frames = [_short(f) for f in stack.split(";") if f]
        if not frames or not n.isdigit():
            continue
        samples += int(n)
        own[frames[-1]] += int(n)
        for frame in set(frames):
            total[frame] += int(n)
    return samples, own.most_common(count), total.most_common(count)


def _short(frame: str) -> str:
    """A frame as `function (path:line)`, the path from site-packages or the checkout, without the line."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "lib/python3", str(ROOT) + "/"):
        if marker in where:
            where = where.split(marker, 1)[1]
    return f"{name} ({where})"


def main() -> None:
    args = parse()
    spy = py_spy()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        redis, api, url = start_api(tmp, appendonly=True)  # Redis as `batchsvc up` runs it
        try:
            path = deploy(url, tmp, args.engine)
            send(path, WARM_UP_REQUESTS)
            before = (cpu_s(api.pid), cpu_s(redis.pid), time.process_time())
            elapsed = send(path, args.requests)
            used = [(cpu_s(api.pid) - before[0]) * 1000 / args.requests,
                    (cpu_s(redis.pid) - before[1]) * 1000 / args.requests,
                    (time.process_time() - before[2]) * 1000 / args.requests]
            raw = tmp / "stacks.txt"
            profiler = subprocess.Popen([spy, "record", "--pid", str(api.pid), "--subprocesses", "--nonblocking",
                                         "--rate", str(SAMPLES_PER_S), "--format", "raw", "-o", str(raw)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            time.sleep(1)  # py-spy attaches
            send(path, args.requests)
            profiler.send_signal(signal.SIGINT)
            profiler.wait(timeout=60)
            report(args, used, elapsed, raw)
        finally:
            api.terminate()
            api.wait(timeout=60)
            redis.terminate()


def report(args, used: list[float], elapsed: float, raw: Path) -> None:
    api_ms, redis_ms, client_ms = used
    print(f"checkout {ROOT}, engine {args.engine}, {args.requests} one-row requests one after another; "
          f"load average {Path('/proc/loadavg').read_text().split()[:3]}")
    print(f"CPU per request: API process {api_ms:.2f} ms, Redis {redis_ms:.2f} ms (client {client_ms:.2f} ms); "
          f"wall {elapsed * 1000 / args.requests:.2f} ms per request")
    if not raw.exists():
        print("py-spy wrote no samples (ptrace refused?)")
        return
    samples, own, total = top(raw, args.top)
    print(f"\npy-spy: {samples} samples of busy threads at {SAMPLES_PER_S}/s over {args.requests} requests")
    for title, rows in (("own time", own), ("total time (with callees)", total)):
        print(f"\n| top by {title} | % of samples |\n| --- | --- |")
        for name, n in rows:
            print(f"| `{name}` | {100 * n / samples:.1f} |")


if __name__ == "__main__":
    main()
