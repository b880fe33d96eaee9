"""The crowd's load generator for scripts/bench_online.py: wrk (C, one thread, keep-alive connections), so that
the client is not the limit (the asyncio httpx crowd it replaces cost 6 ms of CPU per request).

`run` POSTs one JSON body from `connections` connections for a number of seconds, through a Lua script that
sets the body and prints wrk's summary as JSON (requests, p50/p99 from its latency histogram, errors), and
reports the server's CPU (the pids given) and wrk's own CPU per request. `require` installs the Debian package
`wrk` when it is missing and this runs as root (the bench needs it; the tests do not).
"""

import json
import os
import resource
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

US_PER_MS = 1000
SUMMARY = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = io.open(os.getenv("BENCH_BODY_FILE")):read("*a")
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
    .. '"errors": %d, "non_2xx": %d}\\n', summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def require() -> str:
    """wrk's path; installed with apt-get when missing (root only), else the bench stops saying how to get it."""
    found = shutil.which("wrk")
    if found is None and os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False, capture_output=True)
        found = shutil.which("wrk")
    if found is None:
        raise SystemExit("the 32-client run needs wrk: apt-get install wrk (or pass --crowd 0)")
    return found


def run(url: str, body: dict, connections: int, seconds: int, cpu_s: Callable[[], float]) -> dict:
    """Requests/s, p50/p99 ms, and server (`cpu_s`: its CPU seconds so far) and wrk CPU ms per request."""
    with tempfile.TemporaryDirectory() as tmp:
        script, body_file = Path(tmp) / "post.lua", Path(tmp) / "body.json"
        script.write_text(SUMMARY)
        body_file.write_text(json.dumps(body))
        command = [require(), "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", "-s", str(script), url]
        before, mine = cpu_s(), _children_cpu_s()
        out = subprocess.run(command, capture_output=True, text=True, env={**os.environ,
                                                                           "BENCH_BODY_FILE": str(body_file)})
        server, client = cpu_s() - before, _children_cpu_s() - mine
    lines = [line for line in out.stdout.splitlines() if line.startswith("BENCH ")]
    if out.returncode or not lines:
        raise SystemExit(f"wrk failed ({out.returncode}):\n{out.stdout[-2000:]}{out.stderr[-2000:]}")
    found = json.loads(lines[-1].removeprefix("BENCH "))
    if found["errors"] or found["non_2xx"]:
        raise SystemExit(f"wrk saw {found['errors']} socket errors and {found['non_2xx']} non-2xx answers")
    n = max(found["requests"], 1)
    return {"requests": found["requests"], "elapsed_s": found["duration_us"] / 1e6, "p50": found["p50_us"] / US_PER_MS,
            "p99": found["p99_us"] / US_PER_MS, "cpu_s": server, "client_cpu_s": client,
            "rate": found["requests"] / (found["duration_us"] / 1e6), "cpu_ms": server * 1000 / n,
            "client_cpu_ms": client * 1000 / n}


def merged(runs: list[dict]) -> dict:
    """Several runs of one path as one: their requests/s and CPU per request over all, the worst p99 and the
    median run's p50 (wrk gives percentiles per run, not its samples)."""
    requests, elapsed = sum(r["requests"] for r in runs), sum(r["elapsed_s"] for r in runs)
    p50s = sorted(r["p50"] for r in runs)
    return {"rate": requests / elapsed, "p50": p50s[len(p50s) // 2], "p99": max(r["p99"] for r in runs),
            "cpu_ms": sum(r["cpu_s"] for r in runs) * 1000 / requests,
            "client_cpu_ms": sum(r["client_cpu_s"] for r in runs) * 1000 / requests}


def _children_cpu_s() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime
