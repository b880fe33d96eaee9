"""The messages this worker process is running now, so a stop can hand back at once what it cannot finish.

Dramatiq requeues what a stopping worker prefetched but never started; a message still running when the
stop's timeout ends would wait for the broker's heartbeat check instead. This middleware remembers each
message between its start and its end, and hand_back() returns the rest to the queue.
"""

import logging
import threading

from dramatiq import Message, Middleware

log = logging.getLogger(__name__)


class InFlight(Middleware):
    def __init__(self) -> None:
        self._running: dict[str, Message] = {}
        self._lock = threading.Lock()

    def before_process_message(self, broker, message) -> None:
        with self._lock:
            self._running[message.message_id] = message

    def after_process_message(self, broker, message, *, result=None, exception=None) -> None:
        with self._lock:
            self._running.pop(message.message_id, None)

    after_skip_message = after_process_message

    def hand_back(self, broker) -> int:
        """Requeue every message still running (its task is abandoned: each step is idempotent)."""
        with self._lock:
            left = list(self._running.values())
        for message in left:
            broker.do_requeue(message.queue_name, message.options["redis_message_id"])
            log.warning("handed back %s(%s) unfinished", message.actor_name, ", ".join(map(str, message.args)))
        return len(left)
