"""Every Redis key name batchsvc uses, under one prefix."""

from dataclasses import dataclass

QUEUE = "batchsvc"  # the Dramatiq queue every task goes through
QUEUES = (QUEUE, f"{QUEUE}.DQ")  # with its delay queue (retries)


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

    def job_inflight(self, job_id: str) -> str:
        """Hash: chunk index -> the worker scoring it now (removed when the chunk commits or is discarded)."""
        return f"{self.prefix}:job:{job_id}:inflight"

    def job_done_channel(self, job_id: str) -> str:
        return f"{self.prefix}:job-done:{job_id}"

    def job_done_pattern(self) -> str:
        """Every job's done channel (an API process's long polls listen to them all: api/job_waits.py)."""
        return f"{self.prefix}:job-done:*"

    def job_of_done_channel(self, channel: str) -> str:
        return channel.removeprefix(f"{self.prefix}:job-done:")

    def jobs_index(self) -> str:
        return f"{self.prefix}:jobs"

    def jobs_unsent(self) -> str:
        """Sorted set (by creation) of jobs stored but whose message is not yet known to be sent."""
        return f"{self.prefix}:jobs:unsent"

    def jobs_finished(self) -> str:
        """Sorted set (by finish time, Unix microseconds) of finished jobs: what retention expires."""
        return f"{self.prefix}:jobs:finished"

    def jobs_by_status(self, status: str) -> str:
        return f"{self.prefix}:jobs:status:{status}"

    def jobs_by_model(self, model: str) -> str:
        return f"{self.prefix}:jobs:model:{model}"

    def jobs_by_schedule(self, schedule_id: str) -> str:
        return f"{self.prefix}:jobs:schedule:{schedule_id}"

    def jobs_by_owner(self, owner: str) -> str:
        return f"{self.prefix}:jobs:owner:{owner}"

    def idempotency(self, key: str, owner: str | None = None) -> str:
        """Scoped by the submitting key's name, so one client's key never finds another's job."""
        return f"{self.prefix}:idempotency:{owner}:{key}" if owner else f"{self.prefix}:idempotency:{key}"

    def models_index(self) -> str:
        return f"{self.prefix}:models"

    def model_versions(self, name: str) -> str:
        """Hash: version -> JSON metadata."""
        return f"{self.prefix}:model:{name}:versions"

    def model_next_version(self, name: str) -> str:
        return f"{self.prefix}:model:{name}:next-version"

    def model_aliases(self, name: str) -> str:
        return f"{self.prefix}:model:{name}:aliases"

    def deployment(self, name: str) -> str:
        """Hash: record (JSON), state, reason, serving (JSON), and the counters requests, rows, errors."""
        return f"{self.prefix}:deployment:{name}"

    def deployment_logs(self, name: str) -> str:
        """Capped list of the deployment's recent requests (JSON), newest first."""
        return f"{self.prefix}:deployment:{name}:logs"

    def deployment_keys(self, name: str) -> str:
        """Hash: slot (primary, secondary) -> JSON {id (the deployment's), nonce, sha256}; never the key itself."""
        return f"{self.prefix}:deployment:{name}:keys"

    def deployments_index(self) -> str:
        """Sorted set: deployment name by creation time."""
        return f"{self.prefix}:deployments"

    def deployment_ids(self) -> str:
        """Hash: deployment id (a UUID, Watson ML's deployment id) -> name."""
        return f"{self.prefix}:deployments:ids"

    def token_secret(self) -> str:
        """The HS256 secret that signs tokens, generated once (SET NX) unless BATCHSVC_TOKEN_SECRET is set."""
        return f"{self.prefix}:token-secret"

    def upload(self, upload_id: str) -> str:
        return f"{self.prefix}:upload:{upload_id}"

    def watson_models(self) -> str:
        """Hash of Watson ML model ids: pending:<uuid> -> JSON of a model created before its content,
        <uuid> -> name@version it became, ref:name@version -> <uuid>."""
        return f"{self.prefix}:watson:models"

    def uploads_index(self) -> str:
        """Sorted set (by creation, Unix seconds) of uploads: what retention expires."""
        return f"{self.prefix}:uploads"

    def changes_channel(self) -> str:
        """Pub/sub: a model, alias, deployment or API key changed; API processes drop what they keep in memory."""
        return f"{self.prefix}:changes"

    def api_keys(self) -> str:
        """Hash: key id -> JSON {id, name, role, sha256, created_at}; never the key itself."""
        return f"{self.prefix}:api-keys"

    def api_keys_last_used(self) -> str:
        """Hash: key id -> when a request last used it (written at most once a minute per process)."""
        return f"{self.prefix}:api-keys:last-used"

    def metric_counter(self, name: str) -> str:
        return f"{self.prefix}:metrics:{name}"

    def metric_histogram(self, name: str) -> str:
        """Hash: bucket upper bound (or "+Inf") -> count, plus "sum"."""
        return f"{self.prefix}:metrics:{name}:histogram"

    def worker_heartbeats(self) -> str:
        return f"{self.prefix}:workers"

    def schedule(self, schedule_id: str) -> str:
        """Hash: the definition (JSON) and the run state of one schedule."""
        return f"{self.prefix}:schedule:{schedule_id}"

    def schedule_events(self, schedule_id: str) -> str:
        return f"{self.prefix}:schedule:{schedule_id}:events"

    def schedule_fire(self, schedule_id: str, fire_time: str) -> str:
        """Claimed (SET NX) by whoever handles this fire time first, so that it fires once."""
        return f"{self.prefix}:schedule:{schedule_id}:fire:{fire_time}"

    def schedules_index(self) -> str:
        return f"{self.prefix}:schedules"

    def schedules_changed_channel(self) -> str:
        """Pub/sub: a schedule id, published after every create, change and delete."""
        return f"{self.prefix}:schedules-changed"

    def hooks_due(self) -> str:
        """Sorted set of webhook deliveries ("job id|event|attempt"), scored by when (Unix ms) each is due."""
        return f"{self.prefix}:hooks:due"

    def maintenance_lease(self) -> str:
        """The lease of the one worker process that sweeps and reconciles at a time."""
        return f"{self.prefix}:maintenance:leader"

    def replica_marks(self) -> str:
        """Counter written just before each WAIT, so the WAIT covers every earlier write (storage/replication.py)."""
        return f"{self.prefix}:replication:marks"

    def scheduler_lease(self) -> str:
        """The leader lease of the scheduler processes: the holder's token, with an expiry."""
        return f"{self.prefix}:scheduler:leader"

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

    def job_profiles(self, job_id: str) -> str:
        """Hash: chunk index -> the JSON drift profile of that chunk's input (a retried chunk overwrites its own)."""
        return f"{self.prefix}:job:{job_id}:profiles"

    def model_drift_alert(self, name: str) -> str:
        """String: the model's drift thresholds as JSON ({"psi": 0.2}); absent means the defaults."""
        return f"{self.prefix}:model:{name}:drift-alert"

    def deployment_shadow(self, name: str) -> str:
        """Hash: the shadow comparison of a deployment (its shadow reference, sums and maxima)."""
        return f"{self.prefix}:deployment:{name}:shadow"

    def deployment_history(self, name: str) -> str:
        """List (newest first, capped) of a deployment's changes: time, by whom, each field from and to."""
        return f"{self.prefix}:deployment:{name}:history"
