"""`bench_scoring.py --store s3`: the same job with its input and data dir on a local S3 server (moto's, on
loopback) against the job on local disk, both measured in one run, reported as a ratio (target <= 1.3x).

Each side gets fresh worker processes and a warm-up job; the two are run in turns and the best of each kept,
so a noisy moment on this shared machine does not decide the ratio.
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3

BUCKETS = ("bench-in", "bench-data")
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench-secret", "AWS_REGION": "us-east-1"}
ROUNDS = 2


class LocalS3:
    """moto's S3 server on a free loopback port, with the benchmark's buckets."""

    def __init__(self, workdir: Path, port: int):
        self.url = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen([str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p",
                                      str(port)], stdout=open(workdir / "moto.log", "ab"), stderr=subprocess.STDOUT)
        _wait_for_port(port)
        self.client = boto3.client("s3", endpoint_url=self.url, region_name=CREDENTIALS["AWS_REGION"],
                                   aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
                                   aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"])
        for bucket in BUCKETS:
            self.client.create_bucket(Bucket=bucket)
        self.env = {**CREDENTIALS, "BATCHSVC_S3_ENDPOINT_URL": self.url, "BATCHSVC_DATA_DIR": "s3://bench-data/var",
                    "BATCHSVC_DATA_ROOTS": "s3://bench-in"}

    def upload(self, path: Path) -> str:
        self.client.upload_file(str(path), "bench-in", path.name)
        return f"s3://bench-in/{path.name}"

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def store_figures(service_class, workdir: Path, model: Path, data: Path, warm: Path, processes: int,
                  free_port) -> dict:
    """Best-of-ROUNDS wall time of the job on local disk and on S3, with fresh workers on each side."""
    os.environ.update(CREDENTIALS)  # the benchmark's own boto3 client
    s3 = LocalS3(workdir, free_port())
    try:
        remote_data, remote_warm = s3.upload(data), s3.upload(warm)
        local = service_class(workdir / "svc-local", processes, model, workdir)
        remote = service_class(workdir / "svc-s3", processes, model, workdir, extra_env=s3.env)
        try:
            times: dict[str, list[float]] = {"disk": [], "s3": []}
            local.run(warm), remote.run(remote_warm)
            for _ in range(ROUNDS):
                times["disk"].append(local.run(data)[0])
                times["s3"].append(remote.run(remote_data)[0])
        finally:
            local.close()
            remote.close()
    finally:
        s3.close()
    return {"disk_s": min(times["disk"]), "s3_s": min(times["s3"]), "runs": times}


def report_store(figures: dict, rows: int, processes: int) -> None:
    disk, s3 = figures["disk_s"], figures["s3_s"]
    print(f"\n== input and data dir on S3 (moto on loopback) vs local disk, {rows:,} rows, {processes} worker(s) ==")
    print(f"{'local disk':34s} {disk:8.2f} s   1.000x")
    print(f"{'S3 (moto server, loopback)':34s} {s3:8.2f} s   {s3 / disk:5.3f}x local disk   (target <= 1.3x)")
    print(f"{'':34s} every run: disk {figures['runs']['disk']}, s3 {figures['runs']['s3']}")


def _wait_for_port(port: int, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"moto_server did not listen on 127.0.0.1:{port}")
