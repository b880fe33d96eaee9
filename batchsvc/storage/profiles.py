"""Drift in Redis: each chunk's input profile under its chunk index, and each model's drift thresholds.

A chunk scored twice (retried, or redelivered after its worker was killed) writes the same index again, so a
job's profile, merged from these when read, counts every input row once.
"""

import json
from typing import cast

import redis

from batchsvc.scoring.profile import DEFAULT_THRESHOLDS
from batchsvc.storage.redis_keys import Keys


class DriftStore:
    def __init__(self, client: redis.Redis, keys: Keys):
        self.r, self.keys = client, keys

    def put_chunk(self, job_id: str, index: int, profile: dict) -> None:
        """Keep one chunk's profile (replacing what an earlier attempt at that chunk kept)."""
        self.r.hset(self.keys.job_profiles(job_id), str(index), json.dumps(profile, separators=(",", ":")))

    def chunks(self, job_id: str) -> list[dict]:
        """The job's chunk profiles, in chunk order."""
        raw = cast(dict[str, str], self.r.hgetall(self.keys.job_profiles(job_id)))
        return [json.loads(raw[k]) for k in sorted(raw, key=int)]

    def alert(self, model: str) -> dict:
        """The model's drift thresholds (the defaults unless set)."""
        raw = self.r.get(self.keys.model_drift_alert(model))
        return {**DEFAULT_THRESHOLDS, **(json.loads(cast(str, raw)) if raw else {})}

    def set_alert(self, model: str, thresholds: dict) -> dict:
        """Set the model's drift thresholds; returns them."""
        self.r.set(self.keys.model_drift_alert(model), json.dumps(thresholds))
        return self.alert(model)
