"""Captured payloads written to the data dir as Parquet files, in batches, off the request path.

A request that is sampled only appends to this process's buffer; a thread writes what gathered every
FLUSH_EVERY_S (sooner once FLUSH_ROWS rows wait), and once more when the process stops. A full buffer drops
the newest capture and counts it (`dropped`): capturing never slows or fails an answer. Until `start`
(workers, the CLI, in-process tests) a capture is written at once. Layout (storage/capture_files.py reads it):

  captures/deployments/<name>/<yyyy-mm-dd>/<hh>/<first-ms>-<last-ms>-<rows>-<process>-<seq>.parquet
  captures/jobs/<job id>/...same...
"""

import logging
import random
import threading
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq

from batchsvc.storage.background import BackgroundThread
from batchsvc.storage.capture_table import Captured, table_of
from batchsvc.storage.files import Location, atomic_file

log = logging.getLogger(__name__)

FLUSH_EVERY_S = 1.0  # the longest a capture waits in memory
FLUSH_ROWS = 5_000  # rows waiting that make the writer write before the second is up
MAX_PENDING = 10_000  # captured requests held in memory; past it a new one is dropped and counted
STOP_S = 30  # how long stop() waits for the thread's last write
SUFFIX = ".parquet"


def file_name(first_ms: int, last_ms: int, rows: int, process: str, seq: int) -> str:
    """A capture file's name: it sorts by time, and says its time range and rows without being opened."""
    return f"{first_ms:013d}-{last_ms:013d}-{rows}-{process}-{seq:06d}{SUFFIX}"


def hour_folder(folder: Location, time_ms: int) -> Location:
    """captures/<kind>/<name>/<yyyy-mm-dd>/<hh>: where a capture of that time goes."""
    moment = datetime.fromtimestamp(time_ms / 1000, UTC)
    return folder / moment.strftime("%Y-%m-%d") / moment.strftime("%H")


class CaptureWriter(BackgroundThread):
    """This process's captures: a bounded buffer, and the thread that writes it as Parquet files."""

    thread_name = "captures"

    def __init__(self) -> None:
        super().__init__()
        self.process = uuid.uuid4().hex[:8]  # tells apart the files of processes writing the same hour
        self.dropped = 0
        self._dropped_logged = 0
        self._seq = 0
        self._random = random.Random()
        self._pending: list[tuple[Location, Captured]] = []
        self._rows = 0
        self._lock = threading.Lock()

    def sampled(self, percent: float | None) -> bool:
        """Whether to capture this request: true for `percent` of calls, independently each time."""
        return bool(percent) and self._random.random() * 100 < percent  # type: ignore[operator]

    def add(self, folder: Location, item: Captured, rows: int = 1) -> None:
        """Hand one captured request over: kept for the next write, or written now if not started."""
        if not self.started:
            self._write([(folder, item)])
            return
        with self._lock:
            if len(self._pending) >= MAX_PENDING:
                self.dropped += 1
                return
            self._pending.append((folder, item))
            self._rows += rows
            full = self._rows >= FLUSH_ROWS
        if full:
            self._wake.set()

    def stop(self) -> None:
        """Write what is left; later captures are written at once."""
        self._end_thread(STOP_S)
        self.flush()

    def flush(self) -> None:
        """Write every pending capture now: one file per folder and hour."""
        with self._lock:
            batch, self._pending, self._rows = self._pending, [], 0
        if batch:
            self._write(batch)
        if self.dropped > self._dropped_logged:
            log.warning("captures: %d captured requests dropped so far (buffer full or store failing)", self.dropped)
            self._dropped_logged = self.dropped

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(FLUSH_EVERY_S)
            self._wake.clear()
            self.flush()

    def _write(self, batch: list[tuple[Location, Captured]]) -> None:
        """One Parquet file per (folder, hour); a store that fails loses that file's captures (counted, logged)."""
        groups: dict[tuple[str, str], list[tuple[Location, Captured]]] = defaultdict(list)
        for folder, item in batch:
            groups[(folder.url, hour_folder(folder, item.time_ms).url)].append((folder, item))
        for pairs in groups.values():
            items = [item for _, item in pairs]
            try:
                self._write_file(hour_folder(pairs[0][0], items[0].time_ms), items)
            except Exception as exc:  # a store or a body that fails loses its file, never the writer thread
                self.dropped += len(items)
                log.warning("captures: %d captured requests not written: %s", len(items), exc)

    def _write_file(self, hour: Location, items: list[Captured]) -> None:
        times = [item.time_ms for item in items]
        with self._lock:
            self._seq += 1
            seq = self._seq
        write_table(hour, table_of(items), min(times), max(times), self.process, seq)


def write_table(hour: Location, table: pa.Table, first_ms: int, last_ms: int, process: str, seq: int) -> Location:
    """Write one capture file into its hour folder, whole or not at all; where it went."""
    target = hour / file_name(first_ms, last_ms, table.num_rows, process, seq)
    with atomic_file(target) as out:
        pq.write_table(table, out)
    return target


def now_ms() -> int:
    return int(time.time() * 1000)
