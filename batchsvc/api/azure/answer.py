"""An entry script's Answer (scoring/azure_run.py) as the Starlette response that sends it: the Azure route's and
`batchsvc serve`'s."""

from starlette.responses import Response

from batchsvc.scoring.azure_run import Answer


def to_response(answer: Answer) -> Response:
    """The Answer as Starlette's Response (a rawhttp run's own headers appended as they are, repeats kept)."""
    response = Response(answer.body, answer.status, headers=answer.headers, media_type=answer.media_type)
    response.raw_headers.extend(answer.encoded_headers())
    return response
