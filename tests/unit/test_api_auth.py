"""API keys and roles, in process: every route needs its role, keys are checked, and with no keys only
same-origin requests to a loopback name pass.

Moved here from tests/test_auth.py: the role of every documented route and the key checks (on an app with
keys and secure.py's limits), the rules with no keys, and the settings that decide them.
"""

import uuid

import pytest
from harness import submit
from openapi_spec_validator import validate

from batchsvc.api.auth import identify
from batchsvc.errors import Unauthorized
from batchsvc.roles import Role, effective_role
from batchsvc.settings import Settings
from batchsvc.storage.services import Services

BELOW = {"submitter": "reader", "admin": "alice", "scorer": "reader"}  # a key one role short of the route's
HOLDER = {"reader": "reader", "submitter": "alice", "admin": "admin", "scorer": "alice",
          "key": "reader"}  # a key with the least role that may call the route
PATH_VALUES = {"name": "no-such-model", "version": "1", "alias": "prod", "job_id": uuid.uuid4().hex,
               "schedule_id": "no-such-schedule", "ref": "no-such-model@1"}


def operations(keyed) -> list[tuple[str, str, str]]:
    """(method, concrete path, role) of every operation /openapi.json documents."""
    with keyed.client(None) as anonymous:
        doc = anonymous.get("/openapi.json").json()
    validate(doc)
    return [(method.upper(), path.format(**PATH_VALUES), op["x-role"])
            for path, ops in doc["paths"].items() for method, op in ops.items()]


def test_every_documented_route_needs_a_key_and_its_role(keyed):
    # Given every operation the API documents
    ops = operations(keyed)
    assert len(ops) >= 17 and {role for *_, role in ops} == {"open", "key", "reader", "scorer", "submitter", "admin"}
    for method, path, role in ops:
        def call(who):
            with keyed.client(who) as c:
                return c.request(method, path)
        # When it is called without a key, Then a keyed route answers 401 naming the scheme; open ones answer
        anonymous = call(None)
        if role == "open":
            assert anonymous.status_code == 200, (method, path, anonymous.text)
            continue
        assert anonymous.status_code == 401, (method, path, anonymous.text)
        assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
        # And a key one role short gets 403, a reader on any write route too
        if role in BELOW:
            assert call(BELOW[role]).status_code == 403, (method, path)
        if method != "GET" and role != "key":  # a reader may exchange its key for a token
            assert call("reader").status_code == 403, (method, path)
        # And a key with the route's role gets past the check (the route may still say 404 or 422)
        answer = call(HOLDER[role])
        assert answer.status_code not in (401, 403) and answer.status_code < 500, (method, path, answer.text)


def test_writes_need_a_submitter_or_admin_and_v1_reads_need_a_reader(keyed):
    # Given the roles as documented
    ops = operations(keyed)
    # Then no write is open to readers or to anyone, and nothing under /v1 is open
    assert not [op for op in ops if op[0] != "GET" and op[2] in ("open", "reader")]
    assert not [op for op in ops if op[1].startswith("/v1/") and op[2] == "open"]
    # And model registration, aliases and deletion are admin-only, as are all schedule and deployment writes
    # (scoring is not a write: a scorer, a submitter or an admin may)
    admin_only = [op for op in ops if op[0] != "GET" and op[1].startswith(("/v1/models", "/v1/schedules",
                                                                          "/v1/deployments"))
                  and not op[1].endswith("/predictions")]
    assert admin_only and {role for *_, role in admin_only} == {"admin"}


def test_unknown_or_malformed_key_gets_401_and_x_api_key_works_too(keyed):
    for header in ({"Authorization": "Bearer bsk_000000000000_" + "x" * 43}, {"X-API-Key": "not-a-key"},
                   {"Authorization": f"Basic {keyed.keys['admin']}"},
                   {"Authorization": f"Bearer {keyed.keys['admin'][:-1]}"}):
        with keyed.api.client(header) as c:
            response = c.get("/v1/jobs")
        assert response.status_code == 401 and "WWW-Authenticate" in response.headers, header
    with keyed.api.client({"X-API-Key": keyed.keys["reader"]}) as c:
        assert c.get("/v1/jobs").status_code == 200


def test_a_submitter_cannot_score_another_submitters_upload_nor_reuse_its_idempotency_key(keyed):
    with keyed.client("alice") as alice, keyed.client("bob") as bob:
        # Given an upload and a job of alice's with an idempotency key
        upload = alice.post("/v1/uploads", content=b"a\n1.0\n", headers={"Content-Type": "text/csv"}).json()
        key = uuid.uuid4().hex
        body = {"model": keyed.model, "input": {"values": [[1.0]]}, "idempotency_key": key}
        first = submit(alice, body)
        # When bob names the upload, Then it does not exist for him
        response = bob.post("/v1/jobs", json={"model": keyed.model, "input": {"upload": upload["upload"]}})
        assert response.status_code == 404 and response.json()["error"]["field"] == "input.upload"
        # And the same idempotency key gives bob his own job, not alice's
        own = submit(bob, body)
        assert own["id"] != first["id"] and own["created_by"] == "bob"
        assert alice.post("/v1/jobs", json=body).json()["id"] == first["id"]


def test_auth_is_off_with_no_keys_on_loopback_and_on_from_the_first_key(fresh_api):
    # Given an API on loopback whose namespace has no keys
    with fresh_api.client() as client:
        assert client.get("/v1/jobs").status_code == 200
        # When the first key is created, Then requests without one get 401 at once
        store = fresh_api.svc.api_keys
        record, key = store.create("reader", "first")
        assert client.get("/v1/jobs").status_code == 401
        assert client.get("/v1/jobs", headers={"X-API-Key": key}).status_code == 200
        # And when the last key is revoked, the API is open again (on loopback only: see the next tests)
        store.revoke("first")
        assert client.get("/v1/jobs").status_code == 200


def test_auth_required_setting_demands_a_key_even_before_one_exists(env):
    svc = Services(Settings(redis_url=env["BATCHSVC_REDIS_URL"], namespace=f"forced-{uuid.uuid4().hex[:8]}"))
    assert identify(svc, None, require_keys=False).role.value == "admin"
    with pytest.raises(Unauthorized):
        identify(svc, None, require_keys=True)


def test_metrics_role_is_open_unless_the_setting_asks_for_a_reader_key():
    assert effective_role(Role.METRICS, Settings()) is Role.OPEN
    assert effective_role(Role.METRICS, Settings(metrics_require_key=True)) is Role.READER
    assert effective_role(Role.ADMIN, Settings(metrics_require_key=True)) is Role.ADMIN


@pytest.mark.parametrize("headers", [
    {"Origin": "https://evil.example"},                       # a cross-site form post from a web page
    {"Host": "evil.example:8000"},                            # DNS rebinding: the page's own name, our address
])
def test_without_keys_browser_style_attacks_are_refused(client, headers):
    # Given the session API, which has no keys (auth off, everyone is admin)
    # When a request carries another site's Origin, or a Host that is not a loopback name
    response = client.post("/v1/models/pwn/versions", files={"file": ("m.joblib", b"x")}, headers=headers)
    # Then it is refused before the body is read
    assert response.status_code == 403
    assert "no keys" in response.json()["error"]["message"]


def test_without_keys_same_origin_requests_still_work(client, api_url):
    response = client.get("/v1/models", headers={"Origin": api_url})
    assert response.status_code == 200


@pytest.mark.parametrize("headers", [{"Origin": "http://[::1"}, {"Host": "[::1"}])
def test_a_malformed_origin_or_host_is_refused_not_a_server_error(client, headers):
    assert client.get("/v1/models", headers=headers).status_code == 403
