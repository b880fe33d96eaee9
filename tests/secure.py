"""A second API with auth on: its own namespace (so the session API stays keyless), one worker, a key per role."""

import uuid
from dataclasses import dataclass

import httpx
import pandas as pd
import pytest
import redis
from harness import JOB_WAIT_S, register, start_api, start_workers, wait_for
from sklearn.linear_model import LinearRegression

from batchsvc.storage.api_keys import KeyStore
from batchsvc.storage.redis_keys import Keys

LIMITS = {"BATCHSVC_MAX_JSON_BYTES": str(256 * 2**10), "BATCHSVC_MAX_UPLOAD_BYTES": str(2**20),
          "BATCHSVC_MAX_INLINE_COLUMNS": "50", "BATCHSVC_MAX_INLINE_STRING_CHARS": "100"}
ROLES = {"admin": "admin", "reader": "reader", "alice": "submitter", "bob": "submitter"}


@dataclass
class Secure:
    url: str
    env: dict
    namespace: str
    keys: dict[str, str]  # key name -> key
    model: str  # a registered model with one feature, "a"

    def client(self, who: str | None) -> httpx.Client:
        """A client that sends `who`'s key (None: no key)."""
        headers = {"Authorization": f"Bearer {self.keys[who]}"} if who else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=JOB_WAIT_S + 10)


def key_store(env: dict, namespace: str) -> KeyStore:
    return KeyStore(redis.Redis.from_url(env["BATCHSVC_REDIS_URL"], decode_responses=True), Keys(namespace))


@pytest.fixture(scope="session")
def secure(env, tmp_path_factory):
    """The secured API and one worker; keys admin, reader, alice and bob (submitters), and a tiny model."""
    namespace = f"sec-{uuid.uuid4().hex[:8]}"
    senv = {**env, **LIMITS, "BATCHSVC_NAMESPACE": namespace}
    store = key_store(env, namespace)
    keys = {name: store.create(role, name)[1] for name, role in ROLES.items()}
    logs = tmp_path_factory.mktemp("secure-logs")
    workers = start_workers(senv, logs / "workers.log", processes=1)
    api, url = start_api(senv, logs / "api.log")
    beats = Keys(namespace).worker_heartbeats()
    wait_for(lambda: store.r.zcard(beats) >= 1, 60, 0.1, "the secure worker")
    with httpx.Client(base_url=url, headers={"X-API-Key": keys["admin"]}, timeout=30) as admin:
        model = register(admin, f"tiny-{uuid.uuid4().hex[:6]}", LinearRegression().fit(
            pd.DataFrame({"a": [0.0, 1.0, 2.0]}), [0.0, 2.0, 4.0]))["name"]
    yield Secure(url, senv, namespace, keys, model)
    workers.stop()
    api.stop()
