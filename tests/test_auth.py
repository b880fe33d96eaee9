"""API keys and roles with real processes: owners of a worker's jobs, the keys CLI, keys at rest, start-up rules.

Every route's role, the key checks and the keyless rules, which need no worker, are tested in process:
tests/unit/test_api_auth.py.
"""

import subprocess
import sys
import uuid

import httpx
from harness import ROOT, free_port, run_job, wait_for
from secure import key_store


def cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "batchsvc.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)


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
