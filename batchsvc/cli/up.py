"""`batchsvc up`: Redis (private if none answers), the API and the workers in one command."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

from batchsvc.cli import redis_server as redisproc
from batchsvc.redis_url import is_sentinel, parse_sentinel
from batchsvc.settings import get_settings

POLL_S = 0.2
STOP_MARGIN_S = 10.0  # beyond BATCHSVC_SHUTDOWN_S: the worker supervisor's own margin, and the API's


def run(host: str, port: int, processes: int | None, allow_no_keys: bool = False,
        redis_url: str | None = None) -> int:
    chosen = bool(redis_url or os.environ.get("BATCHSVC_REDIS_URL"))
    if redis_url:
        os.environ["BATCHSVC_REDIS_URL"] = redis_url  # before the settings are read; the children inherit it
    settings = get_settings()
    stopping: list[bool] = []
    for sig in (signal.SIGTERM, signal.SIGINT):  # before anything starts: a stop at any moment stops what did
        signal.signal(sig, lambda *_: stopping.append(True))
    redis_proc = _ensure_redis(settings)
    children: list[subprocess.Popen] = []
    try:
        cli = [sys.executable, "-m", "batchsvc.cli"]
        api = [*cli, "api", "--host", host, "--port", str(port), *(["--allow-no-keys"] if allow_no_keys else [])]
        for command in (api, [*cli, "worker", *(["--processes", str(processes)] if processes else [])],
                        [*cli, "scheduler"]):
            children.append(subprocess.Popen(command))
        print(banner(host, port, settings.redis_url, redis_proc is not None, chosen), flush=True)
        while not stopping and all(c.poll() is None for c in children):
            time.sleep(POLL_S)
    finally:
        _stop(children, settings.shutdown_s + STOP_MARGIN_S, redis_proc)
    return 0 if stopping else 1


def _stop(children: list[subprocess.Popen], timeout_s: float, redis_proc: subprocess.Popen | None) -> None:
    """The children asked to stop and waited for, then the Redis started here, whatever happened before."""
    try:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            child.wait(timeout=timeout_s)
    finally:
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait(timeout=10)


def banner(host: str, port: int, redis_url: str, private: bool, chosen: bool) -> str:
    """What `up` started and where: the API and its web console (one address), and whose Redis it uses."""
    if private:
        redis = f"a private Redis at {redis_url}, started here and stopped with it"
    elif chosen:
        redis = f"the Redis already answering at {redis_url}"
    else:
        redis = (f"the Redis already answering at {redis_url}, the default address: not started by batchsvc, and "
                 "anything else using it shares its data (--redis-url or BATCHSVC_REDIS_URL picks another; a free "
                 "port gets a private one)")
    return (f"batchsvc up: the API and the web console at http://{host}:{port}/, the workers, the scheduler and "
            f"{redis}. Ctrl-C stops them all.")


def _ensure_redis(settings):
    if is_sentinel(settings.redis_url):  # Sentinels name a Redis someone else runs: never start a private one
        if not redisproc.primary_answers(settings):
            raise SystemExit(f"no Redis primary answers through {parse_sentinel(settings.redis_url).describe()} "
                             "(BATCHSVC_REDIS_URL)")
        return None
    if redisproc.answers(settings.redis_url):
        return None
    url = urlparse(settings.redis_url)
    if url.hostname not in ("127.0.0.1", "localhost"):
        raise SystemExit(f"Redis at {settings.redis_url} does not answer (BATCHSVC_REDIS_URL)")
    folder = _redis_dir(settings.data_dir)
    print(f"no Redis at {settings.redis_url}: starting a private one (AOF on) under {folder}", flush=True)
    return redisproc.start(url.port or 6379, folder)


def _redis_dir(data_dir: str) -> Path:
    """Redis keeps its files on a local disk: under the data dir, or ./var/redis when the data dir is on S3."""
    return Path("./var" if "://" in data_dir else data_dir) / "redis"
