"""Contained file access and limits: inputs only under the data roots, bodies capped as they arrive, inline size."""

import os
import select
import socket
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest
from harness import ROOT, run_job

SENTINEL = f"SENTINEL-{uuid.uuid4().hex}"
OFFERED_BYTES = 128 * 2**20  # what a streaming client offers; the server must answer long before
ANSWERED_BEFORE_BYTES = 32 * 2**20  # limit + socket buffers: far less than what was offered
BLOCK_BYTES = 64 * 2**10
TRAVERSALS = ["dotdot from a root", "dotdot from the working directory", "absolute outside", "encoded dotdot",
              "symlinked file in a root", "symlinked folder in a root", "NUL byte", "file URL", "home"]


@pytest.fixture(scope="module")
def secret(tmp_path_factory, inputs_dir):
    """A CSV outside every data root whose second column holds the sentinel; links to it inside a root."""
    outside = tmp_path_factory.mktemp("outside")
    path = outside / "secret.csv"
    path.write_text(f"a,note\n1.0,{SENTINEL}\n")
    tag = uuid.uuid4().hex[:6]
    (inputs_dir / f"link-{tag}.csv").symlink_to(path)
    (inputs_dir / f"dir-{tag}").symlink_to(outside, target_is_directory=True)
    return path, tag


def traversal(case: str, secret, inputs_dir) -> str:
    path, tag = secret
    return {"dotdot from a root": f"{inputs_dir}/../{path.parent.name}/secret.csv",
            "dotdot from the working directory": os.path.relpath(path, ROOT),
            "absolute outside": str(path),
            "encoded dotdot": f"{inputs_dir}/%2e%2e/{path.parent.name}/secret.csv",
            "symlinked file in a root": f"{inputs_dir}/link-{tag}.csv",
            "symlinked folder in a root": f"{inputs_dir}/dir-{tag}/secret.csv",
            "NUL byte": f"{inputs_dir}/x.csv\x00/../../{path.parent.name}/secret.csv",
            "file URL": f"file://{path}",
            "home": f"~/../../{path}"}[case]


def job_ids(client) -> list[str]:
    return [j["id"] for j in client.get("/v1/jobs", params={"limit": 500}).json()["jobs"]]


@pytest.mark.parametrize("case", TRAVERSALS)
def test_input_path_outside_the_data_roots_is_refused_at_submit(secure, secret, inputs_dir, case):
    with secure.client("alice") as alice:
        # Given alice's jobs so far
        before = job_ids(alice)
        # When she names a file outside the roots, asking for every column back
        response = alice.post("/v1/jobs", json={"model": secure.model, "output": {"passthrough": ["*"]},
                                                "input": {"path": traversal(case, secret, inputs_dir),
                                                          "format": "csv"}})
        # Then it is refused naming input.path, nothing of the file shows, and no job was made
        assert response.status_code == 422, response.text
        assert response.json()["error"]["field"] == "input.path" and SENTINEL not in response.text
        assert job_ids(alice) == before


def test_the_same_file_inside_a_root_is_read_so_the_sentinel_would_show(secure, inputs_dir):
    # Given a copy of the secret file's shape inside a root (the control: passthrough does carry the column)
    marker = f"MARKER-{uuid.uuid4().hex}"
    (inputs_dir / f"inside-{marker}.csv").write_text(f"a,note\n1.0,{marker}\n")
    with secure.client("alice") as alice:
        job = run_job(alice, {"model": secure.model, "output": {"passthrough": ["*"], "format": "csv"},
                              "input": {"path": str(inputs_dir / f"inside-{marker}.csv")}})
        # Then its content comes back in the results
        assert job["status"] == "completed", job["error"]
        assert marker in alice.get(f"/v1/jobs/{job['id']}/results").text


def test_no_job_record_or_result_anywhere_holds_the_sentinel(secure):
    with secure.client("admin") as admin:
        for job in admin.get("/v1/jobs", params={"limit": 500}).json()["jobs"]:
            assert SENTINEL not in str(job)
            if job["status"] == "completed":
                assert SENTINEL not in admin.get(f"/v1/jobs/{job['id']}/results", params={"format": "csv"}).text


def stream_until_answered(url: str, path: str, headers: dict, head: bytes = b"") -> tuple[int, bytes]:
    """POST a chunked body (no Content-Length) of up to OFFERED_BYTES, stopping once the server answers."""
    where = urlparse(url)
    with socket.create_connection((where.hostname, where.port), timeout=5) as s:
        lines = "".join(f"{k}: {v}\r\n" for k, v in {"Host": "test", "Transfer-Encoding": "chunked", **headers}.items())
        s.sendall(f"POST {path} HTTP/1.1\r\n{lines}\r\n".encode())
        sent, block = 0, b"1.0\n" * (BLOCK_BYTES // 4)
        try:
            for piece in (head, *[block] * (OFFERED_BYTES // BLOCK_BYTES)):
                if piece:
                    s.sendall(b"%x\r\n%b\r\n" % (len(piece), piece))
                    sent += len(piece)
                if select.select([s], [], [], 0)[0]:
                    break  # the server answered
        except (TimeoutError, BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading: its answer is waiting
        return sent, read_answer(s)


def read_answer(s: socket.socket) -> bytes:
    """One whole HTTP response: headers, then Content-Length bytes of body."""
    answer = b""
    while b"\r\n\r\n" not in answer or len(answer.partition(b"\r\n\r\n")[2]) < _length(answer):
        piece = s.recv(65536)
        if not piece:
            break
        answer += piece
    return answer


def _length(answer: bytes) -> int:
    for line in answer.partition(b"\r\n\r\n")[0].split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


BOUNDARY = "b0undary"
MULTIPART = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
MULTIPART_HEAD = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.csv\"\r\n"
                  "Content-Type: text/csv\r\n\r\n").encode()


@pytest.mark.parametrize("who, path, content_type, head, setting", [
    ("alice", "/v1/jobs", {"Content-Type": "application/json"}, b'{"model": "m", "input": {"values": [',
     "BATCHSVC_MAX_JSON_BYTES"),
    ("alice", "/v1/uploads", {"Content-Type": "text/csv"}, b"a\n", "BATCHSVC_MAX_UPLOAD_BYTES"),
    ("alice", "/v1/uploads", MULTIPART, MULTIPART_HEAD, "BATCHSVC_MAX_UPLOAD_BYTES"),
    ("admin", "/v1/models/big/versions", MULTIPART, MULTIPART_HEAD, "BATCHSVC_MAX_UPLOAD_BYTES"),
], ids=["json", "raw upload", "multipart upload", "model file"])
def test_an_endless_chunked_body_gets_413_long_before_its_end(secure, who, path, content_type, head, setting):
    # Given a client that streams a body with no Content-Length, far past the limit
    sent, answer = stream_until_answered(secure.url, path, {"X-API-Key": secure.keys[who], **content_type}, head)
    # Then the server answers 413 naming the setting, having stopped reading near the limit
    assert answer.startswith(b"HTTP/1.1 413"), answer[:300]
    assert setting.encode() in answer and b"Traceback" not in answer
    assert sent < ANSWERED_BEFORE_BYTES, f"the server read {sent} bytes before answering"
    # And it leaves no partial upload behind and goes on serving
    assert not list((Path(secure.env["BATCHSVC_DATA_DIR"]) / "uploads").glob("*.part"))
    with secure.client(who) as c:
        assert c.get("/healthz").status_code == 200


def test_a_declared_length_over_the_limit_gets_413_before_any_body(secure):
    where = urlparse(secure.url)
    with socket.create_connection((where.hostname, where.port), timeout=5) as s:
        s.sendall(f"POST /v1/uploads HTTP/1.1\r\nHost: test\r\nX-API-Key: {secure.keys['alice']}\r\n"
                  f"Content-Type: text/csv\r\nContent-Length: {10 * 2**30}\r\n\r\n".encode())
        assert read_answer(s).startswith(b"HTTP/1.1 413")


@pytest.mark.parametrize("given, setting, field", [
    ({"fields": [f"c{i}" for i in range(51)], "values": [[1.0] * 51]}, "BATCHSVC_MAX_INLINE_COLUMNS", "input"),
    ({"values": [[1.0] * 51]}, "BATCHSVC_MAX_INLINE_COLUMNS", "input"),
    ({"records": [{f"c{i}": 1.0 for i in range(51)}]}, "BATCHSVC_MAX_INLINE_COLUMNS", "input"),
    ({"fields": ["a", "b"], "values": [[1.0, "x" * 101]]}, "BATCHSVC_MAX_INLINE_STRING_CHARS", "input.values.0.1"),
    ({"fields": ["a" * 101], "values": [[1.0]]}, "BATCHSVC_MAX_INLINE_STRING_CHARS", "input.fields.0"),
    ({"records": [{"a": 1.0, "b": ["y" * 101]}]}, "BATCHSVC_MAX_INLINE_STRING_CHARS", "input.records.0.b.0"),
], ids=["fields", "row width", "record keys", "value", "field name", "nested value"])
def test_inline_input_over_a_size_limit_gets_413_naming_setting_and_place(secure, given, setting, field):
    with secure.client("alice") as alice:
        response = alice.post("/v1/jobs", json={"model": secure.model, "input": given})
    assert response.status_code == 413, response.text
    error = response.json()["error"]
    assert setting in error["message"] and error["field"] == field
