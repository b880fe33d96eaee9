"""How fast the `batchsvc` CLI starts: median wall seconds of a few commands, and each as a ratio to `python -c pass`.

    python scripts/bench_cli.py [--runs 10]

`batchsvc jobs` talks to a port nobody listens on, so it measures start-up to the "cannot reach" exit.
"""

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time


def unused_port() -> int:
    """A local TCP port that nothing listens on (bound and released at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def batchsvc() -> list[str]:
    """The installed `batchsvc` script beside this Python, else `python -m batchsvc.cli`."""
    script = os.path.join(os.path.dirname(sys.executable), "batchsvc")
    if os.path.exists(script):
        return [script]
    found = shutil.which("batchsvc")
    return [found] if found else [sys.executable, "-m", "batchsvc.cli"]


def median_seconds(argv: list[str], runs: int, env: dict) -> float:
    """The median wall time of `runs` runs of argv, output discarded (a non-zero exit is expected for jobs)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Run each command, print a table of medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="runs of each command [default: 10]")
    runs = parser.parse_args().runs
    env = {k: v for k, v in os.environ.items() if not k.startswith("BATCHSVC_")}
    cli = batchsvc()
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "batchsvc --help": [*cli, "--help"],
        "batchsvc --version": [*cli, "--version"],
        "batchsvc jobs (nobody answers)": [*cli, "jobs", "--url", f"http://127.0.0.1:{unused_port()}"],
    }
    medians = {label: median_seconds(argv, runs, env) for label, argv in commands.items()}
    base = medians["python -c pass"]
    print(f"{'command':<32} {'median s':>9} {'x python':>9}   ({runs} runs each)")
    for label, seconds in medians.items():
        print(f"{label:<32} {seconds:>9.3f} {seconds / base:>9.1f}")


if __name__ == "__main__":
    main()
