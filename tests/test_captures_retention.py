"""Capture files expire: retention's pass (the one the scheduler leader and `batchsvc gc` run) deletes those whose
last request is older than BATCHSVC_CAPTURE_RETENTION_S, and keeps the rest, on a data dir of its own."""

import pyarrow.parquet as pq
from harness import unique

from batchsvc.jobs import retention
from batchsvc.settings import Settings
from batchsvc.storage.capture_files import page
from batchsvc.storage.capture_table import Captured
from batchsvc.storage.captures import CaptureWriter, now_ms
from batchsvc.storage.services import Services

HOUR_MS = 3_600_000


def captured(time_ms: int, amount: float) -> Captured:
    entry = {"ms": 1.0, "status": 200, "version": 1, "error": None}
    answer = {"predictions": [{"fields": ["prediction"], "values": [[amount * 2]]}]}
    return Captured(time_ms, entry, "m", ["a"], b'{"records": [{"a": %f}]}' % amount, answer)


def test_retention_deletes_captures_older_than_the_setting_and_keeps_the_rest(env, tmp_path):
    # Given captures of two deployments and a job from 3 days, 25 hours and 10 minutes ago (retention: one day)
    svc = Services(Settings(data_dir=str(tmp_path), namespace=unique("capret"), capture_retention_s=86_400))
    writer, now = CaptureWriter(), now_ms()
    ages_ms = {"old": 3 * 24 * HOUR_MS, "day": 25 * HOUR_MS, "new": 10 * 60_000}
    folders = [svc.data.deployment_captures("one"), svc.data.deployment_captures("two"), svc.data.job_captures("j1")]
    for folder in folders:
        for age in ages_ms.values():
            writer.add(folder, captured(now - age, age / HOUR_MS))
    assert all(len(page(folder, 10)[0]) == 3 for folder in folders)
    # When retention runs
    removed = retention.collect(svc, now=now / 1000)
    # Then only the newest file of each folder is left, and it still reads
    assert removed["captures"] == 6
    for folder in folders:
        left, _ = page(folder, 10)
        assert [f.last_ms for f in left] == [now - ages_ms["new"]]
        assert pq.read_table(left[0].location.path).num_rows == 1
    # And a retention of 0 keeps everything
    keep = Services(Settings(data_dir=str(tmp_path), namespace=svc.settings.namespace, capture_retention_s=0))
    assert retention.collect(keep, now=now / 1000 + 10 * 86_400)["captures"] == 0
