"""One file or folder in a store, local or on S3, read and written the same way through pyarrow.fs.

A Location pairs a pyarrow filesystem with that filesystem's path ('/srv/data/a.csv' or 'bucket/key').
Writes are atomic on both: bytes go to a temporary name that is moved to the final one only when complete
(a rename on disk, a server-side copy on S3), so a reader never sees half a file.
"""

import contextlib
import hashlib
import io
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow.fs as pafs

from batchsvc.storage.files.problems import storage_errors

READ_BUFFER_BYTES = 256 << 10  # one range request per buffer refill on S3
HASH_BLOCK_BYTES = 1 << 20
COPY_BLOCK_BYTES = 8 << 20


@dataclass(frozen=True)
class Location:
    """A file or folder: `fs` is a pyarrow FileSystem, `path` its own path, `scheme` '' (disk) or 's3'."""
    fs: Any
    path: str
    scheme: str = ""

    @property
    def url(self) -> str:
        """What users write and see: the local path, or s3://bucket/key."""
        return f"{self.scheme}://{self.path}" if self.scheme else self.path

    @property
    def local(self) -> bool:
        return not self.scheme

    @property
    def name(self) -> str:
        return self.path.rstrip("/").rsplit("/", 1)[-1]

    @property
    def parent(self) -> "Location":
        return self._at(self.path.rstrip("/").rsplit("/", 1)[0])

    def __truediv__(self, name: str) -> "Location":
        return self._at(f"{self.path.rstrip('/')}/{name}")

    def __str__(self) -> str:
        return self.url

    def with_name(self, name: str) -> "Location":
        return self.parent / name

    def _at(self, path: str) -> "Location":
        return Location(self.fs, path, self.scheme)

    def _info(self):
        with storage_errors(self):
            return self.fs.get_file_info(self.path)

    def exists(self) -> bool:
        """A file, or a folder (on S3: a prefix with objects under it)."""
        return self.is_file() or self.is_dir()

    def is_file(self) -> bool:
        return self._info().type == pafs.FileType.File

    def is_dir(self) -> bool:
        """A folder on disk; on S3, a prefix with at least one object under it."""
        if self.local:
            return self._info().type == pafs.FileType.Directory
        return bool(self.files(limit=1))

    def size(self) -> int:
        info = self._info()
        if info.type == pafs.FileType.NotFound:
            raise FileNotFoundError(f"{self.url}: no such file")
        return int(info.size)

    def open(self) -> BinaryIO:
        """A buffered, seekable reader; on S3 each refill is one range request, never the whole object."""
        return io.BufferedReader(self.open_native(), READ_BUFFER_BYTES)

    def open_native(self):
        """pyarrow's own random-access file, for pyarrow readers (Parquet reads its footer, then row groups)."""
        with storage_errors(self):
            return self.fs.open_input_file(self.path)

    def read_bytes(self) -> bytes:
        with self.open_native() as f:
            return f.read()

    def files(self, limit: int | None = None) -> list[tuple["Location", int]]:
        """The files directly inside this folder or prefix with their sizes, sorted by name (none if no folder)."""
        selector = pafs.FileSelector(self.path.rstrip("/") or "/", allow_not_found=True, recursive=False)
        with storage_errors(self):
            infos = self.fs.get_file_info(selector)
        found = sorted((i.path, i.size) for i in infos if i.type == pafs.FileType.File)
        return [(self._at(p), int(size)) for p, size in found[:limit]]

    def unlink(self) -> None:
        """Delete the file if it is there."""
        with contextlib.suppress(FileNotFoundError), storage_errors(self):
            self.fs.delete_file(self.path)

    def remove_tree(self) -> None:
        """Delete the folder (or every object under the prefix, its folder marker too) if it is there."""
        if self.local:
            shutil.rmtree(self.path, ignore_errors=True)
            return
        with contextlib.suppress(FileNotFoundError), storage_errors(self):
            self.fs.delete_dir(self.path)

    def make_parent(self) -> None:
        """Create the folder a file will go in (disk only: S3 has no folders to make)."""
        if self.local:
            os.makedirs(self.parent.path, exist_ok=True)


@contextlib.contextmanager
def atomic_file(final: Location) -> Iterator[BinaryIO]:
    """A binary stream to write that appears as `final` only once the block succeeds."""
    tmp = final.with_name(f".{final.name}.{uuid.uuid4().hex}.tmp")
    final.make_parent()
    try:
        with storage_errors(final):
            stream = final.fs.open_output_stream(tmp.path)
        with stream as f:
            yield f
        with storage_errors(final):
            final.fs.move(tmp.path, final.path)
    finally:
        tmp.unlink()


def put_file(source: Path, final: Location) -> None:
    """Store a local file (an upload's staging copy) as `final`: a rename on the same disk, else a copy."""
    if final.local:
        final.make_parent()
        try:
            os.replace(source, final.path)
            return
        except OSError:  # another disk: copy instead
            pass
    with open(source, "rb") as src, atomic_file(final) as dest:
        while block := src.read(COPY_BLOCK_BYTES):
            dest.write(block)


def copy_file(source: Location, final: Location) -> None:
    """Copy a stored file to another place, on the same store or another, appearing whole or not at all."""
    with source.open_native() as src, atomic_file(final) as dest:
        while block := src.read(COPY_BLOCK_BYTES):
            dest.write(block)


def sha256_of(location: Location) -> str:
    digest = hashlib.sha256()
    with location.open_native() as f:
        while block := f.read(HASH_BLOCK_BYTES):
            digest.update(block)
    return digest.hexdigest()
