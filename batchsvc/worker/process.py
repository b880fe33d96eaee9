"""One worker process: native thread limits, the broker, the actors, a Dramatiq Worker, a heartbeat."""

import argparse
import logging
import os
import signal
import threading

NATIVE_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
HEARTBEAT_EVERY_S = 2.0


def limit_native_threads(count: int) -> None:
    """Set before numpy/sklearn load, so N processes do not each spin every core's threads."""
    for var in NATIVE_THREAD_VARS:
        os.environ.setdefault(var, str(count))


def run(threads: int) -> None:
    from dramatiq import Worker

    from batchsvc.storage.services import get_services
    from batchsvc.worker.broker import install_broker

    svc = get_services()
    broker = install_broker(svc.settings)
    from batchsvc.jobs.running import WORKER
    from batchsvc.worker import actors  # noqa: F401  (declares the actors on the broker)

    worker = Worker(broker, worker_threads=threads, worker_timeout=svc.settings.worker_timeout_ms)
    worker.queue_prefetch = threads  # take one chunk per free thread; leave the rest to other workers
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    worker.start()
    name = WORKER
    try:
        while not stop.is_set():
            _beat(svc, name)
            stop.wait(HEARTBEAT_EVERY_S)
    finally:
        worker.stop()
        broker.close()


def _beat(svc, name: str) -> None:
    """Say this process is alive (see storage/workers.py)."""
    try:
        svc.workers.beat(name)
    except Exception:  # Redis down: the broker logs it; the worker keeps going
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description="one batchsvc worker process")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--native-threads", type=int, default=1)
    args = parser.parse_args()
    limit_native_threads(args.native_threads)
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s worker[%(process)d] %(levelname)s %(name)s: %(message)s")
    run(args.threads)


if __name__ == "__main__":
    main()
