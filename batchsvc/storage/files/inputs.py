"""Job inputs by path or URL: contained in the data roots, expanded from a folder, prefix or glob, handed to scoring.

Containment holds for URLs as for paths: no '..', no other bucket, no prefix outside a root, and never the
server's own folders (uploads and results are reached by id, with their owner checked; models are code).
"""

import fnmatch
from pathlib import Path
from typing import Literal

from batchsvc.errors import InputNotFound, PathNotAllowed
from batchsvc.scoring.sources import FileSource
from batchsvc.storage.files.location import Location
from batchsvc.storage.files.problems import storage_errors
from batchsvc.storage.files.stores import is_url, locate

FIELD = "input.path"
GLOB_CHARS = "*?["
IGNORED_PREFIXES = (".", "_")  # hidden files and markers such as _SUCCESS, as pyarrow datasets skip them
MAX_INPUT_FILES = 10_000


def infer_format(path: str) -> Literal["csv", "parquet"] | None:
    """'csv' or 'parquet' from a file name (.csv, .csv.gz, .parquet, .pq), else None."""
    name = path.lower()
    if name.endswith((".csv", ".csv.gz")):
        return "csv"
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    return None


def is_pattern(path: str) -> bool:
    """A glob in the last component ('daily/*.parquet'); folders above it are plain."""
    return any(c in path.rstrip("/").rsplit("/", 1)[-1] for c in GLOB_CHARS)


def resolve_input(path: str, roots: list[str], managed: tuple[Location, ...] = (), field: str = FIELD) -> Location:
    """Where a job input lies (a file, folder, prefix, or a glob's folder), refused unless inside a root."""
    if "\x00" in path:
        raise PathNotAllowed(f"{field} contains a NUL byte", field=field)
    base = path.rstrip("/").rsplit("/", 1)[0] if is_pattern(path) else path
    if is_url(base) and any(part in ("..", ".") for part in base.split("://", 1)[1].split("/")):
        raise PathNotAllowed(f"{field} {path!r} may not contain '..' or '.' segments", field=field)
    where = locate(base, field)
    if not any(inside(where, locate(root)) for root in roots):
        raise PathNotAllowed(f"{field} {path!r} is outside the data roots ({', '.join(roots)}; a relative path "
                             "is read from the server's working directory); set BATCHSVC_DATA_ROOTS to allow it, "
                             "or send the file itself: batchsvc submit --upload FILE (POST /v1/uploads)", field=field)
    if any(inside(where, folder) for folder in managed):
        raise PathNotAllowed(f"{field} {path!r} is inside the server's own files; use input.upload for "
                             "uploaded data", field=field)
    return where


def inside(where: Location, root: Location) -> bool:
    """Whether `where` is `root` or under it, on the same store (and bucket)."""
    if where.scheme != root.scheme:
        return False
    if where.local:
        return Path(where.path).is_relative_to(root.path)
    return where.path == root.path or where.path.startswith(root.path.rstrip("/") + "/")


def input_files(path: str, where: Location) -> list[tuple[Location, int]] | None:
    """The files (with sizes) a folder, prefix or glob names, sorted by name; None when `path` is one file."""
    if is_pattern(path):
        pattern = path.rstrip("/").rsplit("/", 1)[-1]
        return _capped(path, [f for f in where.files() if fnmatch.fnmatchcase(f[0].name, pattern)])
    if not path.endswith("/") and where.is_file():
        return None
    found = [f for f in where.files() if not f[0].name.startswith(IGNORED_PREFIXES) and infer_format(f[0].name)]
    return _capped(path, found)


def _capped(path: str, found: list[tuple[Location, int]]) -> list[tuple[Location, int]]:
    if not found:
        raise InputNotFound(f"{FIELD} {path!r}: no such file, and no files in that folder or matching it",
                            field=FIELD)
    if len(found) > MAX_INPUT_FILES:
        raise PathNotAllowed(f"{FIELD} {path!r} matches {len(found)} files, more than {MAX_INPUT_FILES}; "
                             "name a narrower folder or glob", field=FIELD)
    return found


def source_url(path: str, where: Location) -> str:
    """The input as a job records it: the resolved file, folder or prefix, and a glob's pattern after it."""
    if is_pattern(path):
        return f"{where.url.rstrip('/')}/{path.rstrip('/').rsplit('/', 1)[-1]}"
    return where.url + ("/" if path.endswith("/") else "")


def input_source(url: str, fmt: str, encoding: str | None = None, size: int | None = None,
                 name: str | None = None) -> FileSource:
    """One input file as scoring reads it: Parquet through pyarrow's own reader, CSV through a buffer."""
    where = locate(url)
    opener = where.open_native if fmt == "parquet" else where.open
    with storage_errors(where):
        size = where.size() if size is None else size
    return FileSource(name=name or where.name, format=fmt, open=opener, size=size, encoding=encoding)
