"""Redis memory per finished job, and whether retention keeps it flat under steady load.

Each part starts its own private redis-server (no AOF: used_memory is what is measured).
  1. Real jobs: a private API and `batchsvc worker --processes 2` score --real one-row inline jobs; Redis
     used_memory before and after, divided by the jobs, is the bytes each finished job keeps; then
     retention (jobs/retention.collect_all, as `batchsvc gc` runs it) and the same figure again. A warm-up
     of jobs run and collected first takes the one-time growth (client connections, buffers) out of it.
  2. Steady load, --jobs small jobs, without and then with retention (BATCHSVC_JOB_TTL_S=--ttl-s): each job
     is written exactly as the service writes a one-row inline job (JobStore.create, mark_sent, transition
     to running, ChunkLedger.commit, the chunk event and counters, transition to completed with the result
     of a real job from part 1) by a few threads, while a Collector ticks every lease/3 as the scheduler
     leader's loop does. used_memory every --every jobs, as a ratio to the first measurement.

    python scripts/bench_redis_memory.py                      # 300 real jobs, 100,000 written, TTL 2 s
    python scripts/bench_redis_memory.py --real 50 --jobs 20000 --every 2000
"""

import argparse
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT.parent), str(ROOT)]  # this checkout's batchsvc, and bench_latency beside this file

from bench_latency import Service, _free_port, burst, register_model  # noqa: E402

from batchsvc.cli import redis_server as redisproc  # noqa: E402
from batchsvc.client.client import Client  # noqa: E402
from batchsvc.clock import iso  # noqa: E402
from batchsvc.jobs import retention  # noqa: E402
from batchsvc.jobs.running import note_chunk, result_record  # noqa: E402
from batchsvc.settings import Settings  # noqa: E402
from batchsvc.status import ACTIVE, JobStatus  # noqa: E402
from batchsvc.storage.jobs import new_job_id  # noqa: E402
from batchsvc.storage.services import Services  # noqa: E402

BATCH_JOBS = 500  # jobs written between two looks at the clock
WARM_UP_JOBS = 50  # real jobs run and collected before the baseline
WRITERS = 4  # threads writing jobs, as several workers would
TICK_S = Settings.model_fields["scheduler_lease_ms"].default / 3000  # the scheduler leader's loop period


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--real", type=int, default=300, help="real one-row jobs through the API and workers (>= 1: "
                   "part 2 writes one of them again)")
    p.add_argument("--jobs", type=int, default=100_000, help="small jobs written in the steady-load part")
    p.add_argument("--every", type=int, default=10_000, help="print used_memory every this many jobs")
    p.add_argument("--ttl-s", type=int, default=2, help="BATCHSVC_JOB_TTL_S of the run with retention")
    return p.parse_args()


def used_memory(svc: Services) -> int:
    """Bytes the Redis allocator holds now (INFO memory), the figure this bench compares."""
    return int(svc.redis.info("memory")["used_memory"])


def real_jobs(tmp: Path, count: int) -> tuple[dict, float, float]:
    """Bytes per finished real job before and after retention, and one such job's record (the template)."""
    with Service(tmp, argparse.Namespace(processes=2, threads=1, worker_timeout_ms=1000)) as service, \
            Client(service.url) as client:
        svc = Services(Settings(redis_url=service.env["BATCHSVC_REDIS_URL"], data_dir=tmp / "data", job_ttl_s=1))
        model, row = register_model(client, tmp, "credit-risk")
        burst(client, model, row, WARM_UP_JOBS, 4)  # connections, buffers and the like, once: not per job
        retention.collect_all(svc, now=time.time() + 2)
        before = used_memory(svc)
        burst(client, model, row, count, 4)
        finished = used_memory(svc)
        template = svc.store.list(status=JobStatus.COMPLETED.value, limit=1)[0][0]
        retention.collect_all(svc, now=time.time() + 2)
        return template, (finished - before) / count, (used_memory(svc) - before) / count


def write_job(svc: Services, template: dict) -> None:
    """One finished one-row inline job, written by the same store calls, in the same order, as the service."""
    job_id = new_job_id()
    svc.store.create({"id": job_id, "name": None, "model": template["model"], "model_ref": template["model_ref"],
                      "spec": template["spec"], "schedule_id": None, "created_by": None})
    svc.store.mark_sent(job_id)
    svc.store.transition(job_id, JobStatus.RUNNING, set(ACTIVE), started_at=iso(), chunks=template["chunks"],
                         chunks_total=1, rows_total=1, attempts=1)
    entry = {"rows": 1, "bad_rows": 0, "seconds": 0.0021, "worker": "bench-host:12345"}
    svc.ledger.commit(job_id, 0, entry)
    note_chunk(svc, job_id, 0, entry)
    result = result_record(job_id, 1, 0, template["result"]["format"], template["result"].get("predictions"))
    svc.store.transition(job_id, JobStatus.COMPLETED, {JobStatus.RUNNING}, result=result)


def ticking(collector: retention.Collector, stop: threading.Event) -> None:
    """The scheduler leader's loop, reduced to its retention tick."""
    while not stop.wait(TICK_S):
        collector.tick()


def steady_load(tmp: Path, template: dict, args: argparse.Namespace, ttl_s: int) -> list[tuple[int, int, int]]:
    """(jobs written, used_memory, jobs kept) every args.every jobs, with retention unless ttl_s is 0."""
    port = _free_port()
    server = redisproc.start(port, tmp / f"redis-{ttl_s}", appendonly=False)
    svc = Services(Settings(redis_url=f"redis://127.0.0.1:{port}/0", data_dir=tmp / "data", job_ttl_s=ttl_s,
                            gc_every_s=1))
    stop, rows = threading.Event(), []
    collector = threading.Thread(target=ticking, args=(retention.Collector(svc), stop), daemon=True)
    collector.start()
    try:
        with ThreadPoolExecutor(WRITERS) as pool:
            for written in range(BATCH_JOBS, args.jobs + 1, BATCH_JOBS):
                list(pool.map(lambda _: write_job(svc, template), range(BATCH_JOBS)))
                if written % args.every == 0:
                    kept = svc.counters.snapshot().jobs_by_state[JobStatus.COMPLETED.value]
                    rows.append((written, used_memory(svc), kept))
                    print(f"  {written:>9,} jobs: used_memory {rows[-1][1] / rows[0][1]:6.2f} x the first, "
                          f"{kept:,} jobs kept", flush=True)
    finally:
        stop.set()
        collector.join()
        server.terminate()
        server.wait(timeout=30)
    return rows


def summary(rows: list[tuple[int, int, int]]) -> str:
    """The end and the range of used_memory as ratios to the first measurement, and the growth per job."""
    (first_jobs, first_bytes, _), (last_jobs, last_bytes, _) = rows[0], rows[-1]
    ratios = [used / first_bytes for _, used, _ in rows]
    return (f"  at {last_jobs:,} jobs {ratios[-1]:.2f} x the first (range {min(ratios):.2f} to {max(ratios):.2f}); "
            f"{(last_bytes - first_bytes) / (last_jobs - first_jobs):,.0f} bytes per job written after the first")


def main() -> None:
    """Part 1, then part 2 without and with retention, each on a fresh redis-server."""
    args = parse()
    with tempfile.TemporaryDirectory() as tmp:
        template, per_job, per_job_after = real_jobs(Path(tmp) / "real", max(1, args.real))
        print(f"{args.real} real one-row jobs (credit-risk, through the API and 2 workers): "
              f"{per_job:,.0f} bytes of Redis per finished job; after retention {per_job_after:,.0f}", flush=True)
        for label, ttl_s in (("without retention (TTL 0)", 0), (f"with retention, TTL {args.ttl_s} s", args.ttl_s)):
            print(f"{args.jobs:,} small jobs {label}, used_memory every {args.every:,} jobs:", flush=True)
            rows = steady_load(Path(tmp), template, args, ttl_s)
            print(summary(rows), flush=True)


if __name__ == "__main__":
    main()
