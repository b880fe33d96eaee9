"""One file or folder in a store, local or on S3, read and written the same way through pyarrow.fs.

A Location pairs a pyarrow filesystem with that filesystem's path ('/srv/data/a.csv' or 'bucket/key').
Writes are atomic on both: bytes go to a temporary name that is moved to the final one only when complete
(a rename on disk, a server-side copy on S3), so a reader never sees half a file.
"""

import contextlib
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
COPY_BLOCK_BYTES = 8 << 20
SMALL_OBJECT_BYTES = 64 << 20  # on S3, an object up to this size is held in memory and sent in one go


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
    if not final.local:
        with _atomic_object(final) as spool:
            yield spool  # type: ignore[misc]
        return
    tmp = _temporary(final)
    final.make_parent()
    try:
        with open(tmp.path, "wb") as f:
            yield f
        os.replace(tmp.path, final.path)
    except BaseException:
        tmp.unlink()  # a failed write leaves no temporary file (after the replace there is none to delete)
        raise


@contextlib.contextmanager
def _atomic_object(final: Location) -> Iterator["_Spool"]:
    """On S3 an object appears only when its upload completes, so a small one is sent whole at the end; a big
    one is streamed to a temporary key and copied to its final key (an upload cut short would still land)."""
    spool = _Spool(final)
    try:
        yield spool
        spool.commit()
    finally:
        spool.discard()


class _Spool(io.RawIOBase):
    """Bytes kept in memory up to SMALL_OBJECT_BYTES, then streamed to a temporary key."""

    def __init__(self, final: Location):
        super().__init__()
        self.final, self.memory, self.size = final, io.BytesIO(), 0
        self.tmp: Location | None = None
        self.stream: Any = None

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        if self.stream is None and self.memory.tell() + len(data) > SMALL_OBJECT_BYTES:
            self._spill()
        (self.stream or self.memory).write(data)
        self.size += len(data)
        return len(data)

    def tell(self) -> int:
        return self.size

    def _spill(self) -> None:
        self.tmp = _temporary(self.final)
        with storage_errors(self.final):
            self.stream = self.final.fs.open_output_stream(self.tmp.path)
            self.stream.write(self.memory.getvalue())
        self.memory = io.BytesIO()

    def commit(self) -> None:
        with storage_errors(self.final):
            if self.stream is None:
                with self.final.fs.open_output_stream(self.final.path) as out:
                    out.write(self.memory.getvalue())
            else:
                self.stream.close()
                self.final.fs.move(self.tmp.path, self.final.path)  # type: ignore[union-attr]

    def discard(self) -> None:
        if self.stream is not None and not self.stream.closed:
            self.stream.close()
        if self.tmp is not None:
            self.tmp.unlink()


def _temporary(final: Location) -> Location:
    return final.with_name(f".{final.name}.{uuid.uuid4().hex}.tmp")


def put_file(source: Path, final: Location) -> None:
    """Store a local file (an upload's staging copy) as `final`: a rename on the same disk, else a copy."""
    if final.local:
        final.make_parent()
        try:
            os.replace(source, final.path)
            return
        except OSError:  # another disk: copy instead
            pass
    copy_file(Location(pafs.LocalFileSystem(), str(Path(source).resolve())), final)


def copy_file(source: Location, final: Location) -> None:
    """Copy a stored file to another place, on the same store or another, appearing whole or not at all."""
    with source.open_native() as src, atomic_file(final) as dest:
        while block := src.read(COPY_BLOCK_BYTES):
            dest.write(block)
