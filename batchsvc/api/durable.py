"""Answers that promise a write (201, 202 and other changes marked durable) are sent only once a replica holds it.

With a single Redis (no replica acknowledgements asked, BATCHSVC_REDIS_REPLICA_ACKS 0) this adds nothing.
"""

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from batchsvc.api.state import services


def replicated(handler):
    """Wrap a handler: after a 2xx answer is made, WAIT for the replicas before it leaves (503 if they miss it)."""
    async def confirmed(request: Request) -> Response:
        response = await handler(request)
        ack = services(request).replication
        if response.status_code < 300 and ack.required:
            await run_in_threadpool(ack.confirm)
        return response

    confirmed.__name__ = confirmed.__qualname__ = getattr(handler, "__name__", "handler")
    return confirmed
