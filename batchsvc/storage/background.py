"""The thread of a writer that batches off the request path (storage/request_log.py, storage/captures.py):
started by an API process, woken by new work or a timer, stopped by waking it and waiting for it to end."""

import threading
from typing import Self


class BackgroundThread:
    """A daemon thread running the subclass's `_run` between start() and _end_thread(); `_wake` hurries it,
    `_stop` ends it. Until started (workers, the CLI, tests) `started` is false and callers write at once."""

    thread_name = "background"

    def __init__(self) -> None:
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def started(self) -> bool:
        return self._thread is not None

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        raise NotImplementedError

    def _end_thread(self, timeout_s: float) -> None:
        """Wake the thread to end, and wait for it (at most timeout_s); afterwards nothing is started."""
        if self._thread is not None:
            self._stop.set()
            self._wake.set()
            self._thread.join(timeout=timeout_s)
            self._thread = None
