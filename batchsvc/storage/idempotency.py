"""Idempotency keys in Redis: a client's key bound to the first job it submitted and that body's digest."""

from typing import cast

import redis

from batchsvc.storage.redis_keys import Keys

IDEMPOTENCY_TTL_S = 24 * 3600


class IdempotencyStore:
    """One string per (owner, key): "<job id> <body sha256>", kept for a day."""

    def __init__(self, client: redis.Redis, keys: Keys):
        self.r, self.keys = client, keys

    def claim(self, key: str, owner: str | None, job_id: str, digest: str) -> bool:
        """Bind the key to this job if it is free; False when another job holds it."""
        return bool(self.r.set(self.keys.idempotency(key, owner), f"{job_id} {digest}", nx=True,
                               ex=IDEMPOTENCY_TTL_S))

    def holder(self, key: str, owner: str | None) -> tuple[str, str] | None:
        """(job id, body digest) of the job holding the key, or None when it is free."""
        held = cast(str | None, self.r.get(self.keys.idempotency(key, owner)))  # decode_responses=True: str
        job_id, _, digest = (held or "").partition(" ")
        return (job_id, digest) if job_id else None

    def take(self, key: str, owner: str | None, job_id: str, digest: str) -> None:
        """Bind the key to this job whoever held it."""
        self.r.set(self.keys.idempotency(key, owner), f"{job_id} {digest}", ex=IDEMPOTENCY_TTL_S)

    def forget(self, key: str, owner: str | None) -> None:
        self.r.delete(self.keys.idempotency(key, owner))

    def release(self, key: str, owner: str | None, job_id: str) -> None:
        """Free the key if this job holds it."""
        held = self.holder(key, owner)
        if held and held[0] == job_id:
            self.forget(key, owner)
