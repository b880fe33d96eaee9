"""API keys and roles: every route needs its role, submitters see only their own jobs, keys are never stored."""

import subprocess
import sys
import uuid

import httpx
import pytest
from harness import ROOT, free_port, run_job, start_api, submit, wait_for
from openapi_spec_validator import validate
from secure import key_store

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


def operations(secure) -> list[tuple[str, str, str]]:
    """(method, concrete path, role) of every operation /openapi.json documents."""
    doc = httpx.get(f"{secure.url}/openapi.json").json()
    validate(doc)
    return [(method.upper(), path.format(**PATH_VALUES), op["x-role"])
            for path, ops in doc["paths"].items() for method, op in ops.items()]


def cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "batchsvc.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)


def test_every_documented_route_needs_a_key_and_its_role(secure):
    # Given every operation the API documents
    ops = operations(secure)
    assert len(ops) >= 17 and {role for *_, role in ops} == {"open", "key", "reader", "scorer", "submitter", "admin"}
    for method, path, role in ops:
        def call(who):
            with secure.client(who) as c:
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


def test_writes_need_a_submitter_or_admin_and_v1_reads_need_a_reader(secure):
    # Given the roles as documented
    ops = operations(secure)
    # Then no write is open to readers or to anyone, and nothing under /v1 is open
    assert not [op for op in ops if op[0] != "GET" and op[2] in ("open", "reader")]
    assert not [op for op in ops if op[1].startswith("/v1/") and op[2] == "open"]
    # And model registration, aliases and deletion are admin-only, as are all schedule and deployment writes
    # (scoring is not a write: a scorer, a submitter or an admin may)
    admin_only = [op for op in ops if op[0] != "GET" and op[1].startswith(("/v1/models", "/v1/schedules",
                                                                          "/v1/deployments"))
                  and not op[1].endswith("/predictions")]
    assert admin_only and {role for *_, role in admin_only} == {"admin"}


def test_unknown_or_malformed_key_gets_401_and_x_api_key_works_too(secure):
    for header in ({"Authorization": "Bearer bsk_000000000000_" + "x" * 43}, {"X-API-Key": "not-a-key"},
                   {"Authorization": f"Basic {secure.keys['admin']}"},
                   {"Authorization": f"Bearer {secure.keys['admin'][:-1]}"}):
        response = httpx.get(f"{secure.url}/v1/jobs", headers=header)
        assert response.status_code == 401 and "WWW-Authenticate" in response.headers, header
    assert httpx.get(f"{secure.url}/v1/jobs", headers={"X-API-Key": secure.keys["reader"]}).status_code == 200


def test_a_submitter_cannot_see_cancel_download_or_delete_another_submitters_job(secure):
    # Given a job that alice submitted and that completed
    with secure.client("alice") as alice, secure.client("bob") as bob:
        job = run_job(alice, {"model": secure.model, "input": {"values": [[1.0]]}})
        assert job["status"] == "completed" and job["created_by"] == "alice"
        jid = job["id"]
        # When bob asks for it in any way, Then it does not exist for him (404, not 403: ids do not leak)
        for method, path in [("GET", f"/v1/jobs/{jid}"), ("GET", f"/v1/jobs/{jid}?wait=1"),
                             ("POST", f"/v1/jobs/{jid}/cancel"), ("GET", f"/v1/jobs/{jid}/results"),
                             ("GET", f"/v1/jobs/{jid}/events"), ("DELETE", f"/v1/jobs/{jid}")]:
            response = bob.request(method, path)
            assert response.status_code == 404 and response.json()["error"]["type"] == "JobNotFound", (method, path)
        assert jid not in [j["id"] for j in bob.get("/v1/jobs").json()["jobs"]]
        # And alice, the admin and the reader still see it
        assert alice.get(f"/v1/jobs/{jid}/results").status_code == 200
        listed = alice.get("/v1/jobs").json()["jobs"]
        assert jid in [j["id"] for j in listed] and {j["created_by"] for j in listed} == {"alice"}
    for who in ("admin", "reader"):
        with secure.client(who) as c:
            assert c.get(f"/v1/jobs/{jid}").json()["created_by"] == "alice"
            assert jid in [j["id"] for j in c.get("/v1/jobs").json()["jobs"]]


def test_a_submitter_cannot_score_another_submitters_upload_nor_reuse_its_idempotency_key(secure):
    with secure.client("alice") as alice, secure.client("bob") as bob:
        # Given an upload and a job of alice's with an idempotency key
        upload = alice.post("/v1/uploads", content=b"a\n1.0\n", headers={"Content-Type": "text/csv"}).json()
        key = uuid.uuid4().hex
        body = {"model": secure.model, "input": {"values": [[1.0]]}, "idempotency_key": key}
        first = submit(alice, body)
        # When bob names the upload, Then it does not exist for him
        response = bob.post("/v1/jobs", json={"model": secure.model, "input": {"upload": upload["upload"]}})
        assert response.status_code == 404 and response.json()["error"]["field"] == "input.upload"
        # And the same idempotency key gives bob his own job, not alice's
        own = submit(bob, body)
        assert own["id"] != first["id"] and own["created_by"] == "bob"
        assert alice.post("/v1/jobs", json=body).json()["id"] == first["id"]


def test_auth_is_off_with_no_keys_on_loopback_and_on_from_the_first_key(env, tmp_path):
    # Given an API on loopback whose namespace has no keys
    namespace = f"fresh-{uuid.uuid4().hex[:8]}"
    api, url = start_api({**env, "BATCHSVC_NAMESPACE": namespace}, tmp_path / "api.log")
    try:
        assert httpx.get(f"{url}/v1/jobs").status_code == 200
        # When the first key is created, Then requests without one get 401 at once
        store = key_store(env, namespace)
        record, key = store.create("reader", "first")
        assert httpx.get(f"{url}/v1/jobs").status_code == 401
        assert httpx.get(f"{url}/v1/jobs", headers={"X-API-Key": key}).status_code == 200
        # And when the last key is revoked, the API is open again (on loopback only: see the next tests)
        store.revoke("first")
        assert httpx.get(f"{url}/v1/jobs").status_code == 200
    finally:
        api.stop()


def test_auth_required_setting_demands_a_key_even_before_one_exists(env):
    svc = Services(Settings(redis_url=env["BATCHSVC_REDIS_URL"], namespace=f"forced-{uuid.uuid4().hex[:8]}"))
    assert identify(svc, None, require_keys=False).role.value == "admin"
    with pytest.raises(Unauthorized):
        identify(svc, None, require_keys=True)


def test_metrics_role_is_open_unless_the_setting_asks_for_a_reader_key():
    assert effective_role(Role.METRICS, Settings()) is Role.OPEN
    assert effective_role(Role.METRICS, Settings(metrics_require_key=True)) is Role.READER
    assert effective_role(Role.ADMIN, Settings(metrics_require_key=True)) is Role.ADMIN


def test_api_refuses_to_start_on_all_interfaces_with_no_keys(env):
    result = cli({**env, "BATCHSVC_NAMESPACE": f"bare-{uuid.uuid4().hex[:8]}"}, "api", "--host", "0.0.0.0",
                 "--port", str(free_port()))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "refusing to serve on 0.0.0.0 with no API keys" in result.stderr
    assert "batchsvc keys create" in result.stderr and "--allow-no-keys" in result.stderr


def test_keys_cli_creates_rotates_lists_and_revokes_without_showing_keys(secure):
    env = secure.env

    def works(key):
        return httpx.get(f"{secure.url}/v1/models", headers={"X-API-Key": key}).status_code == 200
    # Given a key made on the command line, and a second one by rotation
    created = cli(env, "keys", "create", "--role", "reader", "--name", "ci")
    old = created.stdout.strip()
    assert created.returncode == 0 and old.startswith("bsk_") and "not be shown again" in created.stderr
    new = cli(env, "keys", "rotate", "ci").stdout.strip()
    assert new.startswith("bsk_") and new != old and works(old) and works(new)
    # When a third is asked for, Then it is refused until the old one is revoked
    third = cli(env, "keys", "rotate", "ci")
    assert third.returncode == 2 and "revoke the old one first" in third.stderr
    old_id = old.split("_")[1]
    assert cli(env, "keys", "revoke", "ci", "--id", old_id).returncode == 0
    assert not works(old) and works(new)
    # And the list shows names, roles and last use, never a key
    listing = cli(env, "keys", "list")
    assert "ci" in listing.stdout and "reader" in listing.stdout and new.split("_")[1] in listing.stdout
    assert not any(k in listing.stdout for k in (old, new, *secure.keys.values()))
    assert cli(env, "keys", "revoke", "ci").returncode == 0 and not works(new)


def test_keys_at_rest_are_only_hashes(secure, redis_server):
    # Given keys that were created and used
    store = key_store(secure.env, secure.namespace)
    for key in secure.keys.values():
        assert httpx.get(f"{secure.url}/v1/models", headers={"X-API-Key": key}).status_code == 200
    hashes = [r["sha256"] for r in store._records(store.r)]

    def files() -> bytes:
        return b"".join(p.read_bytes() for p in redis_server.dir.rglob("*") if p.is_file())
    # When Redis writes its dump and append-only file
    assert store.r.save()
    wait_for(lambda: all(h.encode() in files() for h in hashes), 10, 0.05, "the key hashes in the AOF")
    # Then neither they nor a DUMP of any key holds a key, or its secret part, in clear
    dumped = b"".join(store.r.dump(k) or b"" for k in store.r.scan_iter(f"{secure.namespace}:*"))
    for key in secure.keys.values():
        secret = key.split("_", 2)[2].encode()
        assert key.encode() not in files() and secret not in files() and secret not in dumped


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


def test_allow_no_keys_serves_keyless_requests_on_any_host(env, tmp_path):
    # Given an API started with --allow-no-keys (behind a trusted proxy) on its own empty namespace
    senv = {**env, "BATCHSVC_NAMESPACE": f"open-{uuid.uuid4().hex[:8]}"}
    port = free_port()
    log = open(tmp_path / "api.log", "ab")
    proc = subprocess.Popen([sys.executable, "-m", "batchsvc.cli", "api", "--port", str(port), "--allow-no-keys"],
                            cwd=ROOT, env=senv, stdout=log, stderr=log)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: _up(url), 30, 0.1, "the API")
        # When a request arrives with the proxy's upstream Host name, Then it is served
        assert httpx.get(f"{url}/v1/models", headers={"Host": "batchsvc.internal"}).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
