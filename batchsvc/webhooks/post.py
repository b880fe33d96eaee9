"""One delivery attempt: a JSON POST with a time limit, redirects not followed; what came of it."""

import time
from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class Outcome:
    status: int | None  # the HTTP status, None when no answer came
    error: str | None  # why no 2xx: the status line, a timeout, a refused connection
    ms: float

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post(url: str, body: bytes, headers: dict[str, str], timeout_s: float) -> Outcome:
    """POST body to url; never raises for what the network or the receiver does."""
    started = time.perf_counter()
    try:
        answer = httpx.post(url, content=body, headers={"content-type": "application/json", **headers},
                            timeout=timeout_s, follow_redirects=False)
    except httpx.TimeoutException:
        return Outcome(None, f"no answer within {timeout_s} s (BATCHSVC_WEBHOOK_TIMEOUT_S)", _ms(started))
    except httpx.HTTPError as exc:
        return Outcome(None, f"{type(exc).__name__}: {exc}", _ms(started))
    error = None if 200 <= answer.status_code < 300 else f"answered {answer.status_code}"
    return Outcome(answer.status_code, error, _ms(started))


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
