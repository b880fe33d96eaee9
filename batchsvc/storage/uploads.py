"""Upload records in Redis: where an uploaded file lies, its size and format, and who sent it."""

import time
from typing import cast

import redis

from batchsvc.storage.redis_keys import Keys


class UploadStore:
    """One hash per upload, and an index by creation (or last time retention found it in use)."""

    def __init__(self, client: redis.Redis, keys: Keys):
        self.r, self.keys = client, keys

    def save(self, record: dict) -> None:
        """Store the record and index it at now: its retention TTL starts here."""
        with self.r.pipeline() as p:
            p.hset(self.keys.upload(record["upload"]), mapping=record)
            p.zadd(self.keys.uploads_index(), {record["upload"]: time.time()})
            p.execute()

    def get(self, upload_id: str) -> dict | None:
        """The record, or None for an unknown id."""
        return self.r.hgetall(self.keys.upload(upload_id)) or None

    def update(self, upload_id: str, fields: dict) -> None:
        """Set fields of an upload's record (a data asset's file once its attachment arrives)."""
        self.r.hset(self.keys.upload(upload_id), mapping=fields)

    def named(self) -> list[dict]:
        """Every upload with a name (a Watson ML data asset), newest first."""
        ids = cast(list[str], self.r.zrevrange(self.keys.uploads_index(), 0, -1))
        with self.r.pipeline(transaction=False) as p:
            for upload_id in ids:
                p.hgetall(self.keys.upload(upload_id))
            found = p.execute()
        return [record for record in found if record.get("name")]

    def created_before(self, cutoff_s: float, limit: int) -> list[str]:
        """Up to `limit` uploads indexed before cutoff_s (Unix seconds), oldest first."""
        return cast(list[str],  # decode_responses=True: members are str
                    self.r.zrangebyscore(self.keys.uploads_index(), "-inf", cutoff_s, start=0, num=limit))

    def touch(self, upload_ids: list[str], now_s: float) -> None:
        """Index these uploads at now_s: found in use, they are looked at again one TTL later."""
        if upload_ids:
            self.r.zadd(self.keys.uploads_index(), dict.fromkeys(upload_ids, now_s), xx=True)

    def delete(self, upload_id: str) -> dict | None:
        """Remove the record and its index entry; returns the record (None if it was already gone)."""
        with self.r.pipeline() as p:
            p.hgetall(self.keys.upload(upload_id))
            p.delete(self.keys.upload(upload_id))
            p.zrem(self.keys.uploads_index(), upload_id)
            return p.execute()[0] or None
