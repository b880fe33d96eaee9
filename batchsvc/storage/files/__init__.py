"""The file store: the only code that touches files, on a local disk or in an S3-compatible object store.

  stores.py     a path or s3:// URL -> Location (pyarrow's LocalFileSystem or S3FileSystem)
  location.py   Location: read (buffered, ranged), list, delete; atomic_file, put_file, copy_file
  problems.py   a store's failure as StorageError naming the bucket or path, never a secret
  inputs.py     job inputs: containment in the data roots, folder / prefix / glob expansion, FileSource
  datadir.py    DataDir: the names of the files the server writes (models, uploads, parts, results)

Scoring gets files from here as openers (FileSource, readers, writers), never as paths to open itself.
"""

from batchsvc.storage.files.datadir import FORMAT_SUFFIXES, DataDir
from batchsvc.storage.files.inputs import (
    infer_format,
    input_files,
    input_source,
    is_pattern,
    resolve_input,
    source_url,
)
from batchsvc.storage.files.location import Location, atomic_file, copy_file, put_file
from batchsvc.storage.files.stores import is_url, locate

__all__ = [
    "FORMAT_SUFFIXES", "DataDir", "Location", "atomic_file", "copy_file", "infer_format", "input_files",
    "input_source", "is_pattern", "is_url", "locate", "put_file", "resolve_input", "source_url",
]
