"""A job's spec, checked at submit and decoded once per task: where its rows come from, what it writes.

Stored as JSON on the job record (`spec`); the input is one of three kinds, told apart by `kind`.
"""

from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import BaseModel, Field

from batchsvc.scoring.filesets import SOURCE_FILE_COLUMN
from batchsvc.scoring.sources import FileSource
from batchsvc.storage.files import input_source


class FileSpec(BaseModel):
    """A data asset or an upload: one file, or a folder's, prefix's or glob's files, inside the data roots."""
    kind: Literal["file"] = "file"
    path: str  # a local path or s3:// URL; for a folder job, the folder (and glob) it was given as
    format: Literal["csv", "parquet"]
    upload: str | None = None
    encoding: str | None = None  # a CSV's codec name, checked ASCII-compatible at submit; None for UTF-8
    files: list[tuple[str, int]] | None = None  # a folder job's files (URL, size_bytes), by name, fixed at submit
    size_bytes: int | None = None  # one file's size at submit, so a chunk task need not ask the store again

    def source(self) -> FileSource:
        """The file's source; a folder job's first file."""
        return self.sources()[0]

    def sources(self) -> list[FileSource]:
        if self.files is None:
            return [input_source(self.path, self.format, self.encoding, self.size_bytes)]
        return [input_source(url, self.format, self.encoding, size) for url, size in self.files]


class TableSpec(BaseModel):
    """Watson ML's inline table, with its fields filled in from the model where they were left out."""
    kind: Literal["table"] = "table"
    fields: list[str]
    values: list[list[Any]]

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.values, columns=self.fields)


class RecordsSpec(BaseModel):
    kind: Literal["records"] = "records"
    records: list[dict[str, Any]]

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame.from_records(self.records)


class OutputSpec(BaseModel):
    format: Literal["parquet", "csv", "jsonl"]
    passthrough: list[str] = Field(default_factory=list)
    path: str | None = None  # where the completed result is delivered as well: a folder or s3:// prefix URL
    asset: str | None = None  # the name of the data asset (an upload) the completed result becomes as well


InputSpec = Annotated[FileSpec | TableSpec | RecordsSpec, Field(discriminator="kind")]


class HookSpec(BaseModel):
    url: str
    events: list[str]
    secret: str | None = None


class JobSpec(BaseModel):
    input: InputSpec
    output: OutputSpec
    notify: HookSpec | None = None
    chunk_size: int | None = None
    max_bad_rows: int = 0
    engine: Literal["auto", "sklearn"] = "auto"  # sklearn: the exact path, whatever the version verified
    capture: bool = False  # a sample of each scored batch kept under captures/jobs/<id>/ (jobs/capture.py)

    @property
    def inline(self) -> bool:
        return not isinstance(self.input, FileSpec)

    def inline_rows(self) -> int:
        """How many rows an inline input holds (0 for a file)."""
        source = self.input
        return len(source.values) if isinstance(source, TableSpec) else len(getattr(source, "records", ()))

    def chunk_rows(self, default_rows: int) -> int:
        """Rows per chunk: the job's own chunk size, else the server's."""
        return self.chunk_size or default_rows

    @property
    def names_source_file(self) -> bool:
        """Whether each row's file name is passed through (`_source_file`, or every column of a folder job)."""
        passthrough, folder = self.output.passthrough, getattr(self.input, "files", None) is not None
        return SOURCE_FILE_COLUMN in passthrough or (passthrough == ["*"] and folder)

    def columns_to_read(self, features: list[str]) -> list[str] | None:
        """The input columns a chunk needs (None: all, for a '*' passthrough or a code model that declares no
        features: its run() gets every column)."""
        passthrough = self.output.passthrough
        return None if passthrough == ["*"] or not features else list(dict.fromkeys(features + passthrough))
