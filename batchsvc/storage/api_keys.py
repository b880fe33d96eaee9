"""API keys and roles: making keys, storing only their hashes, and finding who a presented key belongs to.

A key reads `bsk_<id>_<secret>`: the id (public, 12 hex digits) finds the stored record, the sha256 of the
whole key is compared in constant time. The key itself is never stored. A name holds at most two keys
(Azure's primary/secondary) so clients can move to a new key before the old one is revoked.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import json
import re
import secrets
import threading
import time

import redis

from batchsvc.clock import iso
from batchsvc.errors import Conflict, InvalidRequest, NotFound
from batchsvc.names import KEY_NAME, check_name
from batchsvc.roles import KEY_ROLES, Principal, Role
from batchsvc.storage.local_cache import LocalCache, announce
from batchsvc.storage.redis_keys import Keys

KEY_PREFIX = "bsk"
KEY_ID_HEX_CHARS = 12
SECRET_BYTES = 32
KEYS_PER_NAME = 2
LAST_USED_WRITE_EVERY_S = 60.0
KEY_PATTERN = re.compile(rf"^{KEY_PREFIX}_([0-9a-f]{{{KEY_ID_HEX_CHARS}}})_[A-Za-z0-9_-]{{20,}}$")


def hash_key(key: str) -> str:
    """sha256 hex of a key: keys are 256-bit random, so a fast hash is enough."""
    return hashlib.sha256(key.encode()).hexdigest()


def key_id_of(key: str) -> str | None:
    """The public id inside a well-formed key, else None."""
    match = KEY_PATTERN.match(key)
    return match.group(1) if match else None


def check_key_name(name: str) -> str:
    return check_name(name, "key name", KEY_NAME)


class KeyStore:
    """API key records in one Redis hash, plus when each was last used."""

    def __init__(self, client: redis.Redis, keys: Keys, cache: LocalCache | None = None):
        self.r, self.keys = client, keys
        self.cache = cache or LocalCache()  # off unless a ChangeListener keeps it fresh (the API's)
        self._last_write: dict[str, float] = {}
        self._lock = threading.Lock()

    def any(self) -> bool:
        """True once any key exists: that turns auth on."""
        return self.cache.read(("any-key",), lambda: bool(self.r.exists(self.keys.api_keys())))

    def record(self, key_id: str) -> dict | None:
        """A key's stored record (None: no such key, or revoked), from memory while that is fresh."""
        def load() -> dict | None:
            raw = self.r.hget(self.keys.api_keys(), key_id)
            return None if raw is None else json.loads(raw)
        return self.cache.read(("key", key_id), load)

    def create(self, role: Role | str, name: str | None = None) -> tuple[dict, str]:
        """A new key for a new name; returns (record, key). The key is shown once and never stored."""
        role = _key_role(role)
        name = check_key_name(name or f"{role.value}-{secrets.token_hex(3)}")
        return self._add(name, role, new_name=True)

    def rotate(self, name: str) -> tuple[dict, str]:
        """A second key for an existing name, same role; revoke the old one once clients use the new one."""
        return self._add(check_key_name(name), None, new_name=False)

    def _add(self, name: str, role: Role | None, new_name: bool) -> tuple[dict, str]:
        key_id = secrets.token_hex(KEY_ID_HEX_CHARS // 2)
        key = f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(SECRET_BYTES)}"
        record = {"id": key_id, "name": name, "role": role.value if role else None, "sha256": hash_key(key)}

        def add(p) -> None:  # retried by redis-py if another operator changes the keys meanwhile
            existing = sorted((r for r in self._records(p) if r["name"] == name), key=lambda r: r["created_at"])
            _check_slots(name, existing, new_name)
            record.update(role=record["role"] or existing[0]["role"], created_at=iso())
            p.multi()
            p.hset(self.keys.api_keys(), key_id, json.dumps(record))

        self.r.transaction(add, self.keys.api_keys())
        announce(self.r, self.keys, f"key:{key_id}", self.cache)
        return record, key

    def list(self) -> list[dict]:
        """Every key's record with last_used, never the key or its hash."""
        used = self.r.hgetall(self.keys.api_keys_last_used())
        records = sorted(self._records(self.r), key=lambda r: (r["name"], r["created_at"]))
        return [{**{k: v for k, v in r.items() if k != "sha256"}, "last_used": used.get(r["id"])} for r in records]

    def revoke(self, name: str, key_id: str | None = None) -> builtins.list[str]:
        """Remove a name's keys (or just one of them by id); returns the removed ids."""
        ids = [r["id"] for r in self._records(self.r) if r["name"] == name and key_id in (None, r["id"])]
        if not ids:
            raise NotFound(f"no key named {name!r}" + (f" with id {key_id}" if key_id else "") +
                           "; see `batchsvc keys list`")
        with self.r.pipeline() as p:
            p.hdel(self.keys.api_keys(), *ids)
            p.hdel(self.keys.api_keys_last_used(), *ids)
            p.execute()
        announce(self.r, self.keys, "keys:" + ",".join(ids), self.cache)
        return ids

    def authenticate(self, key: str) -> Principal | None:
        """The principal a presented key belongs to, or None; hashes compared in constant time."""
        key_id = key_id_of(key)
        if key_id is None:
            return None
        record = self.record(key_id)
        if record is None:
            return None
        if not hmac.compare_digest(hash_key(key), record["sha256"]):
            return None
        self._touch(key_id)
        return Principal(name=record["name"], role=Role(record["role"]), key_id=key_id)

    def _touch(self, key_id: str) -> None:
        """Record the last use, at most once a minute per key and process (one HSET)."""
        now = time.monotonic()
        with self._lock:
            if now - self._last_write.get(key_id, -LAST_USED_WRITE_EVERY_S) < LAST_USED_WRITE_EVERY_S:
                return
            self._last_write[key_id] = now
        self.r.hset(self.keys.api_keys_last_used(), key_id, iso())

    def _records(self, client) -> builtins.list[dict]:
        return [json.loads(v) for v in client.hvals(self.keys.api_keys())]


def _check_slots(name: str, existing: list[dict], new_name: bool) -> None:
    """A new name must be free; a rotated name must exist and have a free slot."""
    if new_name and existing:
        raise Conflict(f"key name {name!r} exists; use `batchsvc keys rotate {name}` for a second key", field="name")
    if not new_name and not existing:
        raise NotFound(f"no key named {name!r}; see `batchsvc keys list`")
    if len(existing) >= KEYS_PER_NAME:
        raise Conflict(f"{name!r} has {KEYS_PER_NAME} keys already; revoke the old one first: "
                       f"`batchsvc keys revoke {name} --id {existing[0]['id']}`")


def _key_role(role: Role | str) -> Role:
    try:
        checked = Role(role)
    except ValueError:
        pass
    else:
        if checked in KEY_ROLES:
            return checked
    raise InvalidRequest(f"role must be one of: {', '.join(r.value for r in KEY_ROLES)}", field="role")
