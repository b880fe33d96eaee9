"""A webhook receiver on loopback: records every POST; each path answers from a script of behaviours
("200", "500", "slow": answers after SLOW_S, past the test setting BATCHSVC_WEBHOOK_TIMEOUT_S of 1 s)."""

import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

SLOW_S = 2.5


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.time() when it arrived
    answered: str


class Receiver:
    def __init__(self):
        self.received: list[Received] = []
        self.scripts: dict[str, list[str]] = defaultdict(list)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str, *answers: str) -> str:
        """The URL of `path`, answering its POSTs with `answers` in turn (200 once they run out)."""
        self.scripts[path] = list(answers)
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                script = receiver.scripts[self.path]
                answer = script.pop(0) if script else "200"
                receiver.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()},
                                                  body, time.time(), answer))
                if answer == "slow":
                    time.sleep(SLOW_S)
                self.send_response(500 if answer == "500" else 200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        return Handler


@pytest.fixture(scope="session")
def receiver():
    server = Receiver()
    yield server
    server.server.shutdown()
