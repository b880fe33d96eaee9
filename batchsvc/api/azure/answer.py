"""An entry script's Answer (scoring/azure_run.py) as the Starlette response that sends it, on the Azure route and in
`batchsvc serve`, with the request ids azmlinfsrv 1.5.1 answers: x-request-id (the client's, or a new UUID),
x-ms-request-id and x-ms-client-request-id (the legacy one falls back to the others), TraceId echoed."""

import uuid
from collections.abc import Mapping

from starlette.responses import Response

from batchsvc.scoring.azure_run import Answer, message

ID_MAX_CHARS = 100  # azmlinfsrv's HEADER_LIMIT: a longer request id answers 431
TOO_LONG = {"x-request-id": "x-request-id must not exceed 100 characters",
            "x-ms": "x-ms-request-id and x-ms-client-request-id must not exceed 100 characters"}


def request_ids(headers: Mapping[str, str]) -> tuple[list[tuple[str, str]], Answer | None]:
    """The id headers to answer with, and azmlinfsrv's 431 Answer when an id is too long (run is not called)."""
    request_id = headers.get("x-request-id") or str(uuid.uuid4())
    if len(request_id) > ID_MAX_CHARS:
        return [], message(431, TOO_LONG["x-request-id"])
    legacy, client = headers.get("x-ms-request-id", ""), headers.get("x-ms-client-request-id", "")
    if legacy:
        client = client or legacy
    else:
        legacy = client or request_id
    ids = [("x-request-id", request_id)]
    if len(legacy) > ID_MAX_CHARS or len(client) > ID_MAX_CHARS:
        return ids, message(431, TOO_LONG["x-ms"])
    ids += [("x-ms-request-id", legacy)] + ([("x-ms-client-request-id", client)] if client else [])
    return ids + ([("TraceId", headers["traceid"])] if "traceid" in headers else []), None


def to_response(answer: Answer, ids: list[tuple[str, str]] | None = None) -> Response:
    """The Answer as Starlette's Response (a rawhttp run's own headers appended as they are, repeats kept), with the
    request ids set over any of the same name, as azmlinfsrv's after_request sets them (TraceId added)."""
    response = Response(answer.body, answer.status, headers=answer.headers, media_type=answer.media_type)
    response.raw_headers.extend(answer.encoded_headers())
    return with_ids(response, ids or [])


def with_ids(response: Response, ids: list[tuple[str, str]]) -> Response:
    """The response with the request ids, as azmlinfsrv's after_request sets them on each of its paths."""
    for name, value in ids:
        if name == "TraceId":
            response.headers.append(name, value)
        else:
            response.headers[name] = value
    return response
