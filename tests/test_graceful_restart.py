"""SIGTERM to the API: open long polls answer at once with the job as it is, and the process exits promptly."""

import os
import signal
import threading
import time

import httpx
from harness import register_slow, start_api, submit, wait_for

HOLD_S = 30  # the long poll's wait: far longer than the exit may take
PROMPT_S = 1.0
EXIT_WITHIN_S = 5.0
JOB_S = 15.0  # the held job's run: longer than a fresh API process takes to hold its first request on a busy host


def test_sigterm_answers_an_open_long_poll_at_once_and_the_api_exits_within_5_s(env, client, tmp_path):
    # Given a second API process, and a request on it holding ?wait=30 on a job that runs for a while
    api, url = start_api(env, tmp_path / "api.log")
    model = register_slow(client, "drain", JOB_S)
    job = submit(client, {"model": model, "input": {"values": [[1.0, 2.0]]}})
    answer: dict = {}

    def hold():
        with httpx.Client(base_url=url, timeout=HOLD_S + 10) as c:
            response = c.get(f"/v1/jobs/{job['id']}", params={"wait": HOLD_S})
            answer.update(response=response, at=time.monotonic())
    holder = threading.Thread(target=hold)
    holder.start()
    wait_for(lambda: long_polls_held(url) >= 1 or answer, 10, 0.005, "the API to hold the request")
    assert not answer, answer["response"].json()
    # When the API is told to stop
    stopped_at = time.monotonic()
    os.kill(api.pid, signal.SIGTERM)
    # Then the held request is answered at once with the job's current record, not after 30 s ...
    holder.join(HOLD_S + 10)
    assert answer["response"].status_code == 200
    assert answer["response"].json()["status"] in ("queued", "running")
    assert answer["at"] - stopped_at < PROMPT_S
    # ... and the process exits within 5 s
    api.proc.wait(timeout=HOLD_S)
    exited_after = time.monotonic() - stopped_at
    api.stop()
    print(f"\nlong poll answered {answer['at'] - stopped_at:.2f} s and API exited {exited_after:.2f} s after SIGTERM")
    assert exited_after < EXIT_WITHIN_S
    client.post(f"/v1/jobs/{job['id']}/cancel")


def long_polls_held(url: str) -> int:
    """The batchsvc_long_polls_held gauge of the API process at url."""
    for line in httpx.get(f"{url}/metrics").text.splitlines():
        if line.startswith("batchsvc_long_polls_held "):
            return int(float(line.split()[1]))
    return 0
