"""The Python client for the HTTP API, on httpx; it imports nothing of the server (no Redis, no pandas).

    from batchsvc.client import Client
    with Client() as c:                       # BATCHSVC_API_URL, BATCHSVC_API_KEY
        job = c.submit("credit-risk@production", path="sample_data/credit_risk.parquet").wait()
"""

from batchsvc.client.client import Client, Job
from batchsvc.client.errors import CannotReach, ClientError, JobCanceled, JobFailed, WaitTimeout

__all__ = ["CannotReach", "Client", "ClientError", "Job", "JobCanceled", "JobFailed", "WaitTimeout"]
