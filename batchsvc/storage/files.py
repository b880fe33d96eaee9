"""All file access: inputs under the data roots, and the data dir's models, uploads and results.

Kept in one module so that object-store URLs (s3://...) later are a local change. Scoring gets files
from here as openers (FileSource, readers, writers), never as paths to open itself.
"""

import contextlib
import hashlib
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, Literal

from batchsvc.errors import InputNotFound, PathNotAllowed
from batchsvc.names import NAME
from batchsvc.scoring.sources import FileSource

HASH_BLOCK_BYTES = 1 << 20
FORMAT_SUFFIXES = {"parquet": ".parquet", "csv": ".csv", "jsonl": ".jsonl"}


def infer_format(path: str) -> Literal["csv", "parquet"] | None:
    """'csv' or 'parquet' from a file name (.csv, .csv.gz, .parquet, .pq), else None."""
    name = path.lower()
    if name.endswith((".csv", ".csv.gz")):
        return "csv"
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    return None


def resolve_input(path: str, roots: list[Path], must_exist: bool = True, managed: tuple[Path, ...] = ()) -> Path:
    """The real path of a job input, refused unless it lies inside one of the roots and outside the server's
    own folders (uploads and results are reached by id, with their owner checked; models are code)."""
    if "\x00" in path:
        raise PathNotAllowed("input.path contains a NUL byte", field="input.path")
    real = Path(path).resolve()
    if not any(real.is_relative_to(root) for root in roots):
        allowed = ", ".join(str(r) for r in roots)
        raise PathNotAllowed(
            f"input.path {path!r} is outside the data roots ({allowed}); set BATCHSVC_DATA_ROOTS to allow it",
            field="input.path",
        )
    if any(real.is_relative_to(folder) for folder in managed):
        raise PathNotAllowed(f"input.path {path!r} is inside the server's own files; use input.upload for "
                             "uploaded data", field="input.path")
    if must_exist and not real.is_file():
        raise InputNotFound(f"input.path {path!r}: no such file", field="input.path")
    return real


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(HASH_BLOCK_BYTES):
            digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """Yield a temporary path beside `final`; rename it to `final` only if the block succeeds."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.{uuid.uuid4().hex}.tmp")
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_file(final: Path) -> Iterator[BinaryIO]:
    """A binary file to write that appears as `final` only once the block succeeds."""
    with atomic_path(final) as tmp, open(tmp, "wb") as f:
        yield f


def opener(path: Path) -> Callable[[], BinaryIO]:
    """Opens the file for reading each time it is called."""
    return lambda: open(path, "rb")


def input_source(path: str, fmt: str, encoding: str | None = None) -> FileSource:
    """A job's input file as scoring reads it."""
    real = Path(path)
    return FileSource(name=real.name, format=fmt, open=opener(real), size=real.stat().st_size, encoding=encoding)


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def remove_file(path: Path) -> None:
    """Delete a file the server made (an expired upload), if it is still there."""
    path.unlink(missing_ok=True)


class DataDir:
    """Names of every file the server itself writes; no user text becomes a path here."""

    def __init__(self, root: Path):
        self.root = Path(root).resolve()

    def managed(self) -> tuple[Path, ...]:
        """The folders only the server names files in: never a job input by path."""
        return tuple((self.root / folder).resolve() for folder in ("models", "uploads", "results", "redis"))

    def model_file(self, name: str, version: int) -> Path:
        return self.root / "models" / _part(name) / str(int(version)) / "model.joblib"

    def code_file(self, name: str, version: int) -> Path:
        """A code model's zip (score.py, its files, batchsvc.yaml), beside where a model file would be."""
        return self.model_file(name, version).with_name("model.zip")

    def engine_file(self, name: str, version: int) -> Path:
        """The compiled onnx artefact, beside the model file, under its own sha256 in the version's record."""
        return self.model_file(name, version).with_name("model.onnx")

    def upload_file(self, upload_id: str, fmt: str, gzipped: bool = False) -> Path:
        return self.root / "uploads" / f"{_part(upload_id)}{FORMAT_SUFFIXES[fmt]}{'.gz' if gzipped else ''}"

    def job_dir(self, job_id: str) -> Path:
        return self.root / "results" / _part(job_id)

    def part_file(self, job_id: str, index: int) -> Path:
        return self.job_dir(job_id) / "parts" / f"part-{index:06d}.parquet"

    def parts_dir(self, job_id: str) -> Path:
        return self.job_dir(job_id) / "parts"

    def bad_rows_part(self, job_id: str, index: int) -> Path:
        return self.job_dir(job_id) / "parts" / f"errors-{index:06d}.jsonl"

    def result_file(self, job_id: str, fmt: str) -> Path:
        return self.job_dir(job_id) / f"predictions{FORMAT_SUFFIXES[fmt]}"

    def errors_file(self, job_id: str) -> Path:
        return self.job_dir(job_id) / "errors.jsonl"


def _part(name: str) -> str:
    """A name checked to be one plain path component: defence in depth, callers already check their ids."""
    if not NAME.match(name):  # one path component, never '..' or '/'
        raise PathNotAllowed(f"{name!r} is not a valid name for a stored file")
    return name
