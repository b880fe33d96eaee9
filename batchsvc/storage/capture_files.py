"""Capture files read back: listed newest first a page at a time, read by time window, expired by age.

Every figure of a file (its time range, rows) comes from its name (storage/captures.py names them), so a
listing costs one directory listing per hour folder and never opens a file. A cursor is the last file's key
(`yyyy-mm-dd/hh/name`); keys sort by time, so the next page is every key below it.
"""

from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from batchsvc.storage.captures import SUFFIX
from batchsvc.storage.files import Location
from batchsvc.storage.files.problems import storage_errors

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS


@dataclass(frozen=True)
class CaptureFile:
    """One capture file: where it is, the time of its first and last request, its rows and size."""
    location: Location
    key: str
    first_ms: int
    last_ms: int
    rows: int
    bytes: int


def parse(location: Location, key: str, size: int) -> CaptureFile | None:
    """The file's figures from its name; None for anything else (a write in progress, a stray file)."""
    parts = location.name.removesuffix(SUFFIX).split("-")
    if not location.name.endswith(SUFFIX) or len(parts) != 5 or not all(p.isdigit() for p in parts[:3]):
        return None
    return CaptureFile(location, key, int(parts[0]), int(parts[1]), int(parts[2]), size)


def folders(where: Location) -> list[str]:
    """The names of the folders directly inside `where` (on S3: the common prefixes), sorted."""
    selector = pafs.FileSelector(where.path.rstrip("/"), allow_not_found=True, recursive=False)
    with storage_errors(where):
        infos = where.fs.get_file_info(selector)
    return sorted(i.base_name for i in infos if i.type == pafs.FileType.Directory)


def _hours(folder: Location, newest_first: bool = True):
    """(key prefix 'yyyy-mm-dd/hh', hour folder, its start in Unix ms) for every hour folder."""
    for day in sorted(folders(folder), reverse=newest_first):
        for hour in sorted(folders(folder / day), reverse=newest_first):
            start_ms = int(pd.Timestamp(f"{day}T{hour}:00:00Z").value // 1_000_000)
            yield f"{day}/{hour}", folder / day / hour, start_ms


def _files(prefix: str, hour: Location) -> list[CaptureFile]:
    found = (parse(loc, f"{prefix}/{loc.name}", size) for loc, size in hour.files())
    return sorted((f for f in found if f), key=lambda f: f.key, reverse=True)


def page(folder: Location, limit: int, cursor: str | None = None) -> tuple[list[CaptureFile], str | None]:
    """Up to `limit` files newest first, after `cursor` (a key); the next page's cursor, or None at the end."""
    shown: list[CaptureFile] = []
    for prefix, hour, _ in _hours(folder):
        if cursor and prefix > cursor[:13]:
            continue  # an hour newer than the cursor's: shown on an earlier page
        shown += [f for f in _files(prefix, hour) if not cursor or f.key < cursor]
        if len(shown) > limit:
            return shown[:limit], shown[limit - 1].key
    return shown, None


def in_window(folder: Location, since_ms: int, until_ms: int) -> list[CaptureFile]:
    """The files with a request between since_ms and until_ms (Unix ms), oldest first."""
    chosen: list[CaptureFile] = []
    for prefix, hour, start_ms in _hours(folder, newest_first=False):
        if start_ms + HOUR_MS <= since_ms or start_ms > until_ms:
            continue
        chosen += [f for f in _files(prefix, hour) if f.last_ms >= since_ms and f.first_ms <= until_ms]
    return sorted(chosen, key=lambda f: f.key)


def read_frame(files: list[CaptureFile], since_ms: int, until_ms: int) -> pd.DataFrame:
    """The rows of those files whose request time lies in the window, as one frame (columns united)."""
    frames = []
    for f in files:
        with f.location.open_native() as source:
            table = pq.read_table(source)
        millis = table["time"].cast(pa.int64())
        frames.append(table.filter(pc.and_(pc.greater_equal(millis, since_ms),
                                           pc.less_equal(millis, until_ms))).to_pandas())
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def expire(root: Location, cutoff_ms: int, budget: int) -> int:
    """Delete hour folders (every kind and name under `root`) whose hour ended before cutoff_ms, then files
    of later hours whose last request is older; at most about `budget` files. The files deleted."""
    gone = 0
    for kind in folders(root):
        for name in folders(root / kind):
            for prefix, hour, start_ms in _hours(root / kind / name, newest_first=False):
                if gone >= budget:
                    return gone
                files = _files(prefix, hour)
                if start_ms + HOUR_MS <= cutoff_ms:
                    hour.remove_tree()
                    gone += len(files)
                    continue
                for f in files:
                    if f.last_ms < cutoff_ms:
                        f.location.unlink()
                        gone += 1
            _prune(root / kind / name)
    return gone


def _prune(folder: Location) -> None:
    """On disk, remove the day folders (and the name folder) that expiry left empty; S3 has no folders."""
    if not folder.local:
        return
    for day in folders(folder):
        if not folders(folder / day) and not (folder / day).files(limit=1):
            (folder / day).remove_tree()
    if not folders(folder) and not folder.files(limit=1):
        folder.remove_tree()
