"""A new job's plan message, sent alone or queued on the transaction that stores the job (jobs/accept.py): then
the job and its message are written in one round trip (a job whose transaction fails is withdrawn)."""

from dramatiq import Actor
from redis.client import Pipeline

from batchsvc.worker.wakeup import WakingRedisBroker


class PlanSender:
    """Sends plan_job(job_id); what the API and the scheduler hand to submit_job."""

    def __init__(self, actor: Actor) -> None:
        self.actor = actor

    def __call__(self, job_id: str) -> None:
        self.actor.send(job_id)

    def queue_on(self, pipe: Pipeline, job_id: str) -> None:
        """Queue the message on `pipe`, a transaction the caller runs."""
        broker = self.actor.broker
        if not isinstance(broker, WakingRedisBroker):
            raise TypeError("plan_job's broker is not batchsvc's; install_broker() sets it before actors load")
        broker.enqueue_on(pipe, self.actor.message(job_id))
