"""Runs a walk-through doc's commands for real (docs/tour.md, docs/rollout.md): `python tests/tour.py --write`
(`--doc docs/rollout.md`) pastes each command's output into the doc; tests/test_tour.py runs them again and checks
each still exits 0 and still prints the doc's stable lines.

The tour's `$ ` lines (in ```console blocks) run in order in one bash, in a scratch folder that links the repo's
sample_data/, scripts/ and jobs/, against a `batchsvc up` the tour starts itself; the doc's ports (API 8000,
Redis 6390) are swapped for free ones while it runs (`up` gets `--port`).
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "tour.md"
DOCS = (DOC, ROOT / "docs" / "rollout.md")  # the walk-throughs test_tour.py re-runs
DOC_API, DOC_REDIS = "127.0.0.1:8000", "127.0.0.1:6390"
MARK = "@@tour-step@@"
UP_TIMEOUT_S, STEP_TIMEOUT_S = 90, 300
COLUMNS = 100  # the width the doc's tables were drawn at
BLOCK = re.compile(r"(```console\n)(.*?)(```)", re.S)


@dataclass
class Step:
    command: str
    expected: list[str]


def steps(text: str) -> list[Step]:
    """Every `$ command` of the doc's console blocks, with the output lines shown under it."""
    found: list[Step] = []
    for _, body, _ in BLOCK.findall(text):
        for line in body.splitlines():
            if line.startswith("$ "):
                found.append(Step(line[2:], []))
            elif found:
                found[-1].expected.append(line)
    return found


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(api: str, redis: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BATCHSVC_")}
    env.update(PATH=f"{Path(sys.executable).parent}:{env['PATH']}", COLUMNS=str(COLUMNS), TZ="UTC",
               BATCHSVC_API_URL=f"http://{api}", BATCHSVC_WORKER_TIMEOUT_MS="100")
    env.pop("PYTHONPATH", None)
    return env


def scratch(folder: Path) -> Path:
    for name in ("sample_data", "scripts", "jobs"):
        (folder / name).symlink_to(ROOT / name)
    return folder


def run(folder: Path, doc: Path = DOC) -> tuple[list[Step], list[tuple[str, int]]]:
    """Each step's (output, exit code), the doc's ports swapped back in the outputs."""
    api, redis = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
    local = lambda text: text.replace(DOC_API, api).replace(DOC_REDIS, redis)
    shown = lambda text: text.replace(api, DOC_API).replace(redis, DOC_REDIS)
    env, tour = environment(api, redis), steps(doc.read_text())
    up_steps = [s for s in tour if s.command.startswith("batchsvc up ")]
    command = f"{local(up_steps[0].command)} --port {api.rsplit(':', 1)[1]}"
    up = subprocess.Popen(command, shell=True, cwd=folder, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        banner = _banner(up, api)
        script = "".join(f"echo {MARK}; {local(s.command)} 2>&1; echo {MARK} $?\n" for s in tour if s not in up_steps)
        done = subprocess.run(["bash", "-c", script], cwd=folder, env=env, capture_output=True, text=True,
                              timeout=STEP_TIMEOUT_S * len(tour))
    finally:
        os.killpg(up.pid, 15)
        up.wait(timeout=60)
    outputs = [(shown(banner), 0)]
    for piece in done.stdout.split(f"{MARK}\n")[1:]:
        text, _, code = piece.rpartition(f"{MARK} ")
        outputs.append((shown(text), int(code.strip())))
    return up_steps + [s for s in tour if s not in up_steps], outputs


def _banner(up: subprocess.Popen, api: str) -> str:
    """up's own lines, once the API answers with a live worker."""
    lines = []
    while not lines or not lines[-1].startswith("batchsvc up:"):
        line = up.stdout.readline()
        if not line:
            raise RuntimeError("batchsvc up exited before its banner")
        if line.startswith(("no Redis", "batchsvc up:")):
            lines.append(line)
    deadline = time.monotonic() + UP_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://{api}/readyz", timeout=1).json().get("workers", 0) >= 1:
                return "".join(lines)
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"batchsvc up did not get ready in {UP_TIMEOUT_S} s")


def write(outputs: dict[str, str], doc: Path = DOC) -> None:
    """Paste each command's output under it in the doc."""
    def fill(match: re.Match) -> str:
        lines = []
        for line in match.group(2).splitlines():
            if line.startswith("$ "):
                lines += [line, *outputs[line[2:]].rstrip("\n").splitlines()]
        return match.group(1) + "\n".join(lines) + "\n" + match.group(3)
    doc.write_text(BLOCK.sub(fill, doc.read_text()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--doc", type=Path, default=DOC, help="the walk-through to run (default docs/tour.md)")
    parser.add_argument("--write", action="store_true", help="paste the outputs into the doc")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tour, outputs = run(scratch(Path(tmp)), args.doc.resolve())
    for step, (text, code) in zip(tour, outputs):
        print(f"$ {step.command}  [exit {code}]\n{text}")
    if args.write:
        write({s.command: text for s, (text, _) in zip(tour, outputs)}, args.doc.resolve())


if __name__ == "__main__":
    main()
