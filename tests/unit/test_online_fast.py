"""The online fast path against the full path: the same bodies, good and bad (every bad-input case of
test_online.py and more), sent to the real app with the fast path on and off, get the same status and JSON; the
good ones are really taken by the fast path."""

import json
import math
import uuid

import httpx
import orjson
import pandas as pd
import pytest
from inprocess import running

from batchsvc.jobs.online_fast import fast_scored
from batchsvc.scoring.rows import FAST_ROWS, _plain
from batchsvc.scoring.sample import FIELDS, WATSON_ROW, make_credit_risk
from batchsvc.storage.services import Services

ROWS = make_credit_risk(FAST_ROWS + 1, seed=11)[FIELDS].astype(object).values.tolist()
RECORD = dict(zip(FIELDS, WATSON_ROW))


def _with(field: str, value) -> list:
    row = list(WATSON_ROW)
    row[FIELDS.index(field)] = value
    return row


def table(rows: list, fields: list | None = FIELDS, **extra) -> dict:
    entry = {"values": rows, **extra} if fields is None else {"fields": fields, "values": rows, **extra}
    return {"input_data": [entry]}


GOOD = {
    "one row": table([WATSON_ROW]),
    "many rows": table(ROWS[:FAST_ROWS]),
    "two entries, fields in another order": {"input_data": [
        {"fields": FIELDS, "values": ROWS[:2]},
        {"fields": FIELDS[::-1], "values": [row[::-1] for row in ROWS[2:5]]}]},
    "records": {"records": [dict(zip(FIELDS, row)) for row in ROWS[:3]]},
    "records with keys in another order": {"records": [RECORD, dict(reversed(list(RECORD.items())))]},
    "an extra column": table([[*WATSON_ROW, "x"]], [*FIELDS, "note"]),
    "fields left out": table([WATSON_ROW], None),
    "an entry id": table([WATSON_ROW], id="first"),
    "a float where an int is usual": table([_with("LoanAmount", 1234.5)]),
    "a category the encoder ignores": table([_with("CheckingStatus", "no_such_status")]),  # handle_unknown=ignore
}
BAD = {
    "missing features": {"input_data": [{"fields": FIELDS, "values": [WATSON_ROW]},
                                        {"fields": FIELDS[:-2], "values": [WATSON_ROW[:-2]]}]},
    "a value that is no number": table([WATSON_ROW, _with("LoanAmount", "lots")]),
    "a record value that is no number": {"records": [dict(zip(FIELDS, _with("LoanAmount", "lots")))]},
    "a row of the wrong length": table([WATSON_ROW[:-1]]),
    "both kinds": {**table([WATSON_ROW]), "records": [RECORD]},
    "neither kind": {},
    "over the row limit": table([WATSON_ROW] * 1001),
    "the row limit itself": table([WATSON_ROW] * 1000),
    "more rows than the fast path takes": table(ROWS[:FAST_ROWS + 1]),
    "a missing number": table([_with("LoanAmount", None)]),
    "a missing text": table([_with("CheckingStatus", None)]),
    "a bool for a number": table([_with("LoanAmount", True)]),
    "a number for a text": table([_with("CheckingStatus", 3)]),
    "a number in quotes": table([_with("LoanAmount", "1234")]),
    "a huge whole number": table([_with("LoanAmount", 10 ** 40)]),
    "a list for a number": table([_with("LoanAmount", [1])]),
    "no rows": table([]),
    "no entries": {"input_data": []},
    "no records": {"records": []},
    "duplicate fields": table([[*WATSON_ROW, 1]], [*FIELDS, FIELDS[0]]),
    "an unknown key": {**table([WATSON_ROW]), "extra": 1},
    "an unknown entry key": table([WATSON_ROW], meta=1),
    "a record missing a feature": {"records": [RECORD, {k: v for k, v in RECORD.items() if k != "Age"}]},
    "a very long string": table([_with("CheckingStatus", "x" * 10_001)]),
    "a nested extra column": table([[*WATSON_ROW, {"a": 1}]], [*FIELDS, "note"]),
    "fields not strings": table([WATSON_ROW], [1, *FIELDS[1:]]),
    "not an object": [1, 2],
}
RAW_BAD = {"not JSON": b"{not json", "empty": b"", "NaN": b'{"records": [{"Age": NaN}]}'}


@pytest.fixture(scope="module")
def both(inproc, portal, client):
    """The real app twice on the same Redis namespace and data dir: fast path on (the session's), and off."""
    with running(Services(inproc.svc.settings), portal) as full:
        full.app.state.online_fast = False
        with full.client() as off:
            yield client, off


def answers(client: httpx.Client, path: str, raw: bytes) -> tuple[int, object]:
    response = client.post(path, content=raw, headers={"content-type": "application/json"})
    return response.status_code, response.json()


@pytest.mark.parametrize("case", [*GOOD, *BAD, *RAW_BAD])
def test_the_fast_path_answers_every_body_as_the_full_path_does(both, inproc, credit_model, case):
    # Given a body, good or bad, and a model route and a deployment route
    raw = RAW_BAD[case] if case in RAW_BAD else json.dumps({**GOOD, **BAD}[case]).encode()
    name = f"fast-{uuid.uuid4().hex[:6]}"
    on, off = both
    assert on.post("/v1/deployments", json={"name": name, "model": credit_model}).status_code == 201
    for path in (f"/v1/models/{credit_model}/predictions", f"/v1/deployments/{name}/predictions"):
        # When both paths answer it, Then the status and the JSON are the same
        assert answers(on, path, raw) == answers(off, path, raw), (case, path)
    # And a good body is answered 200 by the fast path itself, a bad one is left to the full path
    taken = fast_scored(inproc.svc, inproc.app.state.model_cache, credit_model, raw)
    assert (taken is not None) == (case in GOOD), case
    if case in GOOD:
        assert answers(off, f"/v1/models/{credit_model}/predictions", raw)[0] == 200


def test_the_missing_deployment_and_model_get_the_same_404(both):
    on, off = both
    for path in ("/v1/deployments/no-such-deployment/predictions", "/v1/models/no-such-model@1/predictions"):
        raw = json.dumps(table([WATSON_ROW])).encode()
        assert answers(on, path, raw) == answers(off, path, raw)
        assert answers(on, path, raw)[0] == 404


def test_floats_are_rounded_as_pandas_writes_them():
    # Given values inside and outside the range pandas writes with fixed decimals
    for value in (0.123456789012345, 1e-16 / 3, 2.5e-11, 123456.123456789, 3e17 / 7, 0.0, 1.0):
        # Then the fast path's value is the one pandas' JSON holds
        expected = json.loads(pd.DataFrame({"v": [value]}).to_json(orient="values"))[0][0]
        assert _plain(value) == expected and not math.isnan(_plain(value))
        assert orjson.loads(orjson.dumps(_plain(value))) == expected
