"""Contained file access and limits, served: a file inside a root is read; bodies are capped as they arrive.

Paths outside the data roots and inline size limits, refused at submit, are tested in process:
tests/unit/test_api_containment.py.
"""

import select
import socket
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest
from harness import run_job

OFFERED_BYTES = 128 * 2**20  # what a streaming client offers; the server must answer long before
ANSWERED_BEFORE_BYTES = 32 * 2**20  # limit + socket buffers: far less than what was offered
BLOCK_BYTES = 64 * 2**10


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
