"""Every Redis key name batchsvc uses, under one prefix."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Keys:
    prefix: str = "batchsvc"

    def job(self, job_id: str) -> str:
        return f"{self.prefix}:job:{job_id}"

    def job_events(self, job_id: str) -> str:
        return f"{self.prefix}:job:{job_id}:events"

    def job_chunks(self, job_id: str) -> str:
        """Ledger: chunk index -> JSON of the finished chunk."""
        return f"{self.prefix}:job:{job_id}:chunks"

    def job_finalize_lock(self, job_id: str) -> str:
        return f"{self.prefix}:job:{job_id}:finalizing"

    def job_done_channel(self, job_id: str) -> str:
        return f"{self.prefix}:job-done:{job_id}"

    def jobs_index(self) -> str:
        return f"{self.prefix}:jobs"

    def jobs_by_status(self, status: str) -> str:
        return f"{self.prefix}:jobs:status:{status}"

    def jobs_by_model(self, model: str) -> str:
        return f"{self.prefix}:jobs:model:{model}"

    def jobs_by_schedule(self, schedule_id: str) -> str:
        return f"{self.prefix}:jobs:schedule:{schedule_id}"

    def idempotency(self, key: str) -> str:
        return f"{self.prefix}:idempotency:{key}"

    def models_index(self) -> str:
        return f"{self.prefix}:models"

    def model_versions(self, name: str) -> str:
        """Hash: version -> JSON metadata."""
        return f"{self.prefix}:model:{name}:versions"

    def model_next_version(self, name: str) -> str:
        return f"{self.prefix}:model:{name}:next-version"

    def model_aliases(self, name: str) -> str:
        return f"{self.prefix}:model:{name}:aliases"

    def upload(self, upload_id: str) -> str:
        return f"{self.prefix}:upload:{upload_id}"

    def metric_counter(self, name: str) -> str:
        return f"{self.prefix}:metrics:{name}"

    def metric_histogram(self, name: str) -> str:
        """Hash: bucket upper bound (or "+Inf") -> count, plus "sum"."""
        return f"{self.prefix}:metrics:{name}:histogram"

    def worker_heartbeats(self) -> str:
        return f"{self.prefix}:workers"

    @property
    def dramatiq_namespace(self) -> str:
        """The namespace of the Dramatiq broker's own keys."""
        return f"{self.prefix}-dramatiq"

    def dramatiq_queue(self, queue: str) -> str:
        """Dramatiq's Redis list of message ids waiting on a queue."""
        return f"{self.dramatiq_namespace}:{queue}"

    def queue_wakeup_channel(self, queue: str) -> str:
        """Pub/sub: a message was enqueued on the queue, so idle consumers fetch at once."""
        return f"{self.prefix}:wakeup:{queue}"
