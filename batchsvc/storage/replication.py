"""What a 201/202 promises, held by a replica before the answer: one marker write and one WAIT, pipelined.

Redis replicates asynchronously, so a write the primary acknowledged dies with it unless a replica has it.
WAIT blocks until the replicas hold every earlier write *of its own connection*; the request's records
went out on other pooled connections, so the marker INCR on this one comes after all of them in the one
replication stream, and an acknowledgement of it is an acknowledgement of them.
"""

import redis

from batchsvc.errors import ReplicaUnavailable
from batchsvc.storage.redis_keys import Keys


class ReplicaAck:
    def __init__(self, client: redis.Redis, keys: Keys, replicas: int, timeout_ms: int):
        self.r, self.keys, self.replicas, self.timeout_ms = client, keys, replicas, timeout_ms

    @property
    def required(self) -> bool:
        return self.replicas > 0

    def confirm(self) -> None:
        """Return once `replicas` replicas hold every write made so far; ReplicaUnavailable after the timeout."""
        if not self.required:
            return
        pipe = self.r.pipeline(transaction=False)
        pipe.incr(self.keys.replica_marks())
        pipe.wait(self.replicas, self.timeout_ms)
        _, acked = pipe.execute()
        if acked < self.replicas:
            raise ReplicaUnavailable(
                f"the write reached {acked} of {self.replicas} Redis replica(s) within {self.timeout_ms} ms "
                "(BATCHSVC_REDIS_REPLICA_WAIT_MS), so it is not promised; try again shortly (with the same "
                "Idempotency-Key, a job submitted twice is created once)")
