"""Deployments in Redis: a stable name (and a UUID) over a model reference, its state, counters and request log.

One hash per deployment holds its record (JSON: name, id, model, description, engine, times), the state its
model was last found in (ready, or failed with the reason) with the version it served, and the request
counters. A capped list keeps the recent requests, newest first. Writes to a deleted deployment are dropped.
"""

import builtins
import json
import time
import uuid
from typing import cast

import redis

from batchsvc.clock import iso
from batchsvc.errors import Conflict, DeploymentNotFound
from batchsvc.storage.codec import HashCodec
from batchsvc.storage.local_cache import LocalCache, announce
from batchsvc.storage.redis_keys import Keys

LOG_ENTRIES = 1_000
CODEC = HashCodec(json_fields=frozenset({"record", "serving"}), int_fields=frozenset({"requests", "rows", "errors"}))
COUNTERS = ("requests", "rows", "errors")

# KEYS: deployment, its logs.  ARGV: entry JSON, entries kept, rows, error (0/1), then field, value, ... to set.
# One round trip per online request; nothing is written for a deployment deleted meanwhile.
_RECORD = """
if redis.call('HEXISTS', KEYS[1], 'record') == 0 then return 0 end
redis.call('LPUSH', KEYS[2], ARGV[1])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[2]) - 1)
redis.call('HINCRBY', KEYS[1], 'requests', 1)
redis.call('HINCRBY', KEYS[1], 'rows', ARGV[3])
redis.call('HINCRBY', KEYS[1], 'errors', ARGV[4])
if #ARGV > 4 then redis.call('HSET', KEYS[1], unpack(ARGV, 5)) end
return 1
"""

# KEYS: deployment.  ARGV: field, value, ...  Sets fields of a deployment that still exists.
_UPDATE = """
if redis.call('HEXISTS', KEYS[1], 'record') == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
"""


def new_deployment_id() -> str:
    """A UUID in its 36-character form, as Watson ML's clients expect of a deployment id."""
    return str(uuid.uuid4())


class DeploymentStore:
    def __init__(self, client: redis.Redis, keys: Keys, cache: LocalCache | None = None):
        self.r, self.keys = client, keys
        self.cache = cache or LocalCache()  # off unless a ChangeListener keeps it fresh (the API's)
        self._record = client.register_script(_RECORD)
        self._update = client.register_script(_UPDATE)

    def create(self, record: dict) -> dict:
        """Store a new deployment (state unchecked until its model is loaded); a taken name is a conflict."""
        key = self.keys.deployment(record["name"])
        if not self.r.hsetnx(key, "record", json.dumps(record)):
            raise Conflict(f"deployment {record['name']!r} exists; PATCH it to point it at another model",
                           field="name")
        with self.r.pipeline() as p:
            p.hset(key, mapping=CODEC.encode({"requests": 0, "rows": 0, "errors": 0}))
            p.zadd(self.keys.deployments_index(), {record["name"]: time.time()})
            p.hset(self.keys.deployment_ids(), record["id"], record["name"])
            p.execute()
        announce(self.r, self.keys, f"deployment:{record['name']}", self.cache)
        return self.get(record["name"])

    def spec(self, name: str) -> dict:
        """The deployment's record only (one HGET, or none while the API's memory of it is fresh): what an online
        request needs to resolve its model."""
        return dict(self.cache.read(("deployment", name), lambda: self._spec_now(name)))

    def _spec_now(self, name: str) -> dict:
        raw = self.r.hget(self.keys.deployment(name), "record")
        if raw is None:
            raise _missing(name)
        return json.loads(raw)

    def get(self, name: str) -> dict:
        """The record with its state, serving version and counters."""
        raw = cast(dict[str, str], self.r.hgetall(self.keys.deployment(name)))  # decode_responses=True: str
        if "record" not in raw:
            raise _missing(name)
        return _assemble(CODEC.decode(raw))

    def by_id(self, deployment_id: str) -> dict:
        """A deployment by its UUID (Watson ML's deployment id)."""
        name = self.r.hget(self.keys.deployment_ids(), deployment_id)
        if name is None:
            raise DeploymentNotFound(f"no deployment with id {deployment_id!r}", field="id")
        return self.get(cast(str, name))

    def list(self) -> list[dict]:
        """Every deployment, oldest first."""
        names = cast(list[str], self.r.zrange(self.keys.deployments_index(), 0, -1))
        with self.r.pipeline(transaction=False) as p:
            for name in names:
                p.hgetall(self.keys.deployment(name))
            found = p.execute()
        return [_assemble(CODEC.decode(raw)) for raw in found if "record" in raw]

    def change(self, name: str, **fields) -> dict:
        """Change the record's fields (model, description, engine); updated_at moves."""
        record = {**self._spec_now(name), **fields, "updated_at": iso()}
        self._set(name, record=record)
        announce(self.r, self.keys, f"deployment:{name}", self.cache)
        return self.get(name)

    def set_state(self, name: str, state: str, reason: str | None, serving: dict | None) -> None:
        """What loading its model last showed: ready (serving that version) or failed with the reason."""
        self._set(name, state=state, reason=reason, serving=serving)

    def _set(self, name: str, **fields) -> None:
        if not self._update(keys=[self.keys.deployment(name)], args=_flatten(CODEC.encode(fields))):
            raise _missing(name)

    def delete(self, name: str) -> None:
        record = self.spec(name)
        with self.r.pipeline() as p:
            p.delete(self.keys.deployment(name), self.keys.deployment_logs(name), self.keys.deployment_keys(name),
                     self.keys.deployment_history(name), self.keys.deployment_shadow(name))
            p.zrem(self.keys.deployments_index(), name)
            p.hdel(self.keys.deployment_ids(), record["id"])
            p.execute()
        announce(self.r, self.keys, f"deployment:{name}", self.cache)

    def record_request(self, name: str, entry: dict, state: dict | None = None) -> None:
        """Log one request, count it, and set the state it showed (when it showed one): one round trip."""
        self._record(keys=[self.keys.deployment(name), self.keys.deployment_logs(name)],
                     args=_record_args(entry, state))

    def record_requests(self, batch: builtins.list[tuple[str, dict, dict | None]]) -> None:
        """Log and count many requests (name, entry, state) in one pipeline, in order."""
        with self.r.pipeline(transaction=False) as p:
            for name, entry, state in batch:  # EVAL: Redis keeps the compiled script; no SCRIPT EXISTS per batch
                p.eval(_RECORD, 2, self.keys.deployment(name), self.keys.deployment_logs(name),
                       *_record_args(entry, state))
            p.execute()

    def logs(self, name: str, limit: int = LOG_ENTRIES) -> builtins.list[dict]:
        """The most recent requests, newest first."""
        self.spec(name)
        entries = cast(builtins.list[str], self.r.lrange(self.keys.deployment_logs(name), 0, limit - 1))
        return [json.loads(e) for e in entries]


def _assemble(fields: dict) -> dict:
    """A stored hash as one record: counters grouped, state 'failed' until a load has shown it ready."""
    return {**fields["record"], "state": fields.get("state") or "failed",
            "reason": fields.get("reason") or (None if fields.get("state") else "its model has not been loaded yet"),
            "serving": fields.get("serving"), "counters": {c: fields.get(c) or 0 for c in COUNTERS}}


def _record_args(entry: dict, state: dict | None) -> list:
    return [json.dumps(entry, default=str), LOG_ENTRIES, entry["rows"], 1 if entry.get("error") else 0,
            *_flatten(CODEC.encode(state or {}))]


def _flatten(fields: dict) -> list:
    return [item for pair in fields.items() for item in pair]


def _missing(name: str) -> DeploymentNotFound:
    return DeploymentNotFound(f"no deployment named {name!r}; create it with POST /v1/deployments", field="name")
