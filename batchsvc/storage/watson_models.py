"""Watson ML model ids in Redis: a Watson client creates a model (its UUID) before it sends the content, which then
becomes a native model version; the UUID names that version from then on. Versions registered natively have no
entry (their Watson id comes from their file's sha256)."""

import json
from typing import cast

import redis

from batchsvc.storage.redis_keys import Keys


class WatsonModels:
    def __init__(self, client: redis.Redis, keys: Keys):
        self.r, self.key = client, keys.watson_models()

    def pend(self, model_id: str, fields: dict) -> None:
        """A model created without content yet (name, description, type)."""
        self.r.hset(self.key, f"pending:{model_id}", json.dumps(fields))

    def pending(self, model_id: str) -> dict | None:
        raw = self.r.hget(self.key, f"pending:{model_id}")
        return json.loads(cast(str, raw)) if raw else None

    def bind(self, model_id: str, ref: str) -> None:
        """The model's content became the native version `ref` (name@version)."""
        with self.r.pipeline() as p:
            p.hset(self.key, mapping={model_id: ref, f"ref:{ref}": model_id})
            p.hdel(self.key, f"pending:{model_id}")
            p.execute()

    def ref(self, model_id: str) -> str | None:
        return cast(str | None, self.r.hget(self.key, model_id))

    def ids(self, refs: list[str]) -> list[str | None]:
        """The Watson id each name@version was stored under (None: registered natively)."""
        return cast(list[str | None], self.r.hmget(self.key, [f"ref:{r}" for r in refs])) if refs else []
