"""Upload records in Redis: where an uploaded file lies, its size and format, and who sent it."""

import redis

from batchsvc.storage.redis_keys import Keys


class UploadStore:
    """One hash per upload."""

    def __init__(self, client: redis.Redis, keys: Keys):
        self.r, self.keys = client, keys

    def save(self, record: dict) -> None:
        self.r.hset(self.keys.upload(record["upload"]), mapping=record)

    def get(self, upload_id: str) -> dict | None:
        """The record, or None for an unknown id."""
        return self.r.hgetall(self.keys.upload(upload_id)) or None
