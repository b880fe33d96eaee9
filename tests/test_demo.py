"""The quick start's demo as a script or CI runs it (no terminal): ours is the first line, nothing is wrapped in
the middle of a path or an id, and the console's address is printed."""

import os
import re
import subprocess

from harness import ROOT

DEMO_TIMEOUT_S = 600  # a pip install (cache warm) plus the demo, on 2 shared cores


def test_the_demo_without_a_terminal_prints_whole_lines_and_the_console_url():
    # Given an environment with no batchsvc settings (the demo makes its own Redis and data dir)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BATCHSVC_") and k != "COLUMNS"}
    # When scripts/demo.sh runs with no terminal on stdin or stdout
    done = subprocess.run(["bash", "scripts/demo.sh", "--no-wait"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=DEMO_TIMEOUT_S)
    out = done.stdout
    # Then it completes, its own line comes first, and setuptools' boxed notice stays in the install log
    assert done.returncode == 0, done.stdout + done.stderr
    assert out.splitlines()[0] == "installing batchsvc into .venv (pip's output: var/install.log)"
    assert "Editable installation" not in out + done.stderr and "!!" not in out + done.stderr
    # And the result's path and URL are on one line, whole, however long (no 80-column wrap)
    stored = next(line for line in out.splitlines() if "completed:" in line)
    assert re.search(r"stored at \S+/var/demo/results/[0-9a-f]{32}/predictions\.parquet; download: GET "
                     r"/v1/jobs/[0-9a-f]{32}/results$", stored), stored
    assert len(stored) > 80
    # And the console's address is printed
    assert re.search(r"the API and the web console at http://127\.0\.0\.1:\d+/", out), out
