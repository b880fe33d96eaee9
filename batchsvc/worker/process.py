"""One worker process: native thread limits, the broker, the actors, a Dramatiq Worker, a heartbeat."""

import argparse
import logging
import os
import signal
import threading
import time

NATIVE_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
HEARTBEAT_EVERY_S = 2.0


def limit_native_threads(count: int) -> None:
    """Set before numpy/sklearn load, so N processes do not each spin every core's threads."""
    for var in NATIVE_THREAD_VARS:
        os.environ.setdefault(var, str(count))


def run(threads: int) -> None:
    """Serve tasks until SIGTERM or SIGINT, beating a heartbeat and doing maintenance when this process leads."""
    from dramatiq import Worker

    from batchsvc.jobs.maintenance import Maintenance
    from batchsvc.jobs.running import WORKER
    from batchsvc.storage.local_cache import ChangeListener
    from batchsvc.storage.services import get_services
    from batchsvc.worker.broker import install_broker

    svc = get_services()
    broker = install_broker(svc.settings)
    from batchsvc.worker import actors  # declares the actors on the broker

    worker = Worker(broker, worker_threads=threads, worker_timeout=svc.settings.worker_timeout_ms)
    worker.queue_prefetch = threads  # take one chunk per free thread; leave the rest to other workers
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    maintenance = Maintenance(svc, actors.SENDERS)
    listener = ChangeListener(svc.redis, svc.keys, svc.local).start()  # model versions in memory, kept fresh
    worker.start()
    try:
        _serve(svc, WORKER, maintenance, stop)
    finally:
        _shut_down(worker, maintenance, svc.settings.shutdown_s)
        listener.stop()
        broker.close()


def _serve(svc, name: str, maintenance, stop: threading.Event) -> None:
    """The main thread's loop: a heartbeat every HEARTBEAT_EVERY_S, maintenance as often as it asks."""
    next_beat = 0.0
    while not stop.is_set():
        if time.monotonic() >= next_beat:
            _beat(svc, name)
            next_beat = time.monotonic() + HEARTBEAT_EVERY_S
        maintenance.tick()
        stop.wait(min(HEARTBEAT_EVERY_S, maintenance.tick_s))


def _shut_down(worker, maintenance, shutdown_s: int) -> None:
    """Let in-flight tasks finish within BATCHSVC_SHUTDOWN_S, then hand back at once any still running."""
    logging.getLogger(__name__).info("stopping: in-flight tasks get %d s (BATCHSVC_SHUTDOWN_S)", shutdown_s)
    maintenance.stop()
    from batchsvc.worker.in_flight import InFlight

    worker.stop(timeout=shutdown_s * 1000)
    in_flight = next(m for m in worker.broker.middleware if isinstance(m, InFlight))
    try:
        in_flight.hand_back(worker.broker)
    except Exception as exc:  # Redis gone too: the broker's heartbeat check redelivers them later
        logging.getLogger(__name__).warning("could not hand back unfinished tasks: %s", exc)


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
