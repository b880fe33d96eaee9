"""`batchsvc worker`: start N worker processes and restart any that dies (Dramatiq's own master exits)."""

import logging
import os
import signal
import subprocess
import sys
import time

log = logging.getLogger(__name__)
RESTART_PAUSE_S = 0.5
POLL_S = 0.2
STOP_MARGIN_S = 5.0


class Supervisor:
    def __init__(self, processes: int, threads: int, native_threads: int, shutdown_s: float):
        self.command = [sys.executable, "-m", "batchsvc.worker.process", "--threads", str(threads),
                        "--native-threads", str(native_threads)]
        self.children: list[subprocess.Popen | None] = [None] * processes
        self.stopping = False
        self.wait_s = shutdown_s + STOP_MARGIN_S  # a child gets its own shutdown time, then is killed

    def run(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: setattr(self, "stopping", True))
        try:
            while not self.stopping:
                self._keep_alive()
                time.sleep(POLL_S)
        finally:
            self._stop_all()

    def _keep_alive(self) -> None:
        for i, child in enumerate(self.children):
            if child is None or child.poll() is not None:
                if child is not None:
                    log.warning("worker process %d exited with %s; starting another", child.pid, child.returncode)
                    time.sleep(RESTART_PAUSE_S)
                started = self.children[i] = subprocess.Popen(self.command)
                log.info("worker process %d started", started.pid)

    def _stop_all(self) -> None:
        live = [c for c in self.children if c is not None and c.poll() is None]
        for child in live:
            child.send_signal(signal.SIGTERM)
        for child in live:
            try:
                child.wait(timeout=self.wait_s)
            except subprocess.TimeoutExpired:
                child.kill()


def run(processes: int | None, threads: int, native_threads: int | None = None, shutdown_s: float = 30) -> None:
    """Supervise the workers; native (BLAS/OpenMP) threads per process default to cores / processes."""
    processes = processes or os.cpu_count() or 1
    native = native_threads or max(1, (os.cpu_count() or 1) // processes)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s supervisor %(levelname)s: %(message)s")
    Supervisor(processes, threads, native, shutdown_s).run()
