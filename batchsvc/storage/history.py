"""A deployment's history: every change made to it (who, when, each field from what to what), newest first.

One capped list per deployment; an entry is {time, by, changes: {field: {from, to}}}. Removed with the deployment
(storage/deployments.py).
"""

import json
from typing import cast

import redis

from batchsvc.storage.redis_keys import Keys

HISTORY_ENTRIES = 1_000  # changes kept per deployment


class DeploymentHistory:
    def __init__(self, client: redis.Redis, keys: Keys):
        self.r, self.keys = client, keys

    def add(self, name: str, entry: dict) -> None:
        """Record one change (newest first; the oldest beyond HISTORY_ENTRIES go)."""
        key = self.keys.deployment_history(name)
        with self.r.pipeline() as p:
            p.lpush(key, json.dumps(entry))
            p.ltrim(key, 0, HISTORY_ENTRIES - 1)
            p.execute()

    def list(self, name: str, limit: int = HISTORY_ENTRIES) -> list[dict]:
        """The latest `limit` changes, newest first."""
        return [json.loads(e) for e in cast(list[str], self.r.lrange(self.keys.deployment_history(name), 0, limit - 1))]


def changes(before: dict, after: dict, fields: list[str]) -> dict:
    """{field: {from, to}} for each of `fields` whose value differs between the two records."""
    return {f: {"from": before.get(f), "to": after.get(f)} for f in fields if before.get(f) != after.get(f)}
