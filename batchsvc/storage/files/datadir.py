"""The data dir's layout: every file the server itself writes, on disk or under an s3:// prefix.

No user text becomes a name here: model names and ids are checked to be one plain path component.
"""

import tempfile
from pathlib import Path

from batchsvc.errors import PathNotAllowed
from batchsvc.names import NAME
from batchsvc.storage.files.location import Location
from batchsvc.storage.files.stores import locate

FORMAT_SUFFIXES = {"parquet": ".parquet", "csv": ".csv", "jsonl": ".jsonl"}
MANAGED_FOLDERS = ("models", "uploads", "results", "redis", "captures")


class DataDir:
    """Names of every file the server writes: models, compiled engines, uploads, chunk parts and results."""

    def __init__(self, root: str | Path):
        self.root = locate(root)

    def managed(self) -> tuple[Location, ...]:
        """The folders only the server names files in: never a job input by path."""
        return tuple(self.root / folder for folder in MANAGED_FOLDERS)

    def staging(self) -> Path:
        """A local folder for a file on its way in (an upload being received): beside its final place on disk
        so it is renamed there, the system's temp folder when the data dir is on S3."""
        folder = Path(self.root.path) / "uploads" if self.root.local else Path(tempfile.gettempdir())
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def version_dir(self, name: str, version: int) -> Location:
        return self.root / "models" / _part(name) / str(int(version))

    def model_file(self, name: str, version: int) -> Location:
        return self.version_dir(name, version) / "model.joblib"

    def code_file(self, name: str, version: int) -> Location:
        """A code model's zip (score.py, its files, batchsvc.yaml), beside where a model file would be."""
        return self.version_dir(name, version) / "model.zip"

    def engine_file(self, name: str, version: int) -> Location:
        """The compiled onnx artefact, beside the model file, under its own sha256 in the version's record."""
        return self.version_dir(name, version) / "model.onnx"

    def upload_file(self, upload_id: str, fmt: str, gzipped: bool = False) -> Location:
        return self.root / "uploads" / f"{_part(upload_id)}{FORMAT_SUFFIXES[fmt]}{'.gz' if gzipped else ''}"

    def job_dir(self, job_id: str) -> Location:
        return self.root / "results" / _part(job_id)

    def parts_dir(self, job_id: str) -> Location:
        return self.job_dir(job_id) / "parts"

    def part_file(self, job_id: str, index: int) -> Location:
        """One chunk's scored rows: a Parquet file, or a CSV part for a CSV result (scoring/csv_parts.py)."""
        return self.parts_dir(job_id) / f"part-{index:06d}.part"

    def written_parts(self, job_id: str, indexes: list[int]) -> list[Location]:
        """The parts the chunks wrote, from one listing: today's names, or `.parquet`, the name a job begun before
        CSV parts existed gave its parts (so a job in flight across that upgrade finishes with all its rows)."""
        names = {location.name for location, _ in self.parts_dir(job_id).files()}
        return [self._written_part(job_id, index, names) for index in indexes]

    def _written_part(self, job_id: str, index: int, names: set[str]) -> Location:
        part, legacy = self.part_file(job_id, index), self.parts_dir(job_id) / f"part-{index:06d}.parquet"
        return legacy if legacy.name in names and part.name not in names else part

    def bad_rows_part(self, job_id: str, index: int) -> Location:
        return self.parts_dir(job_id) / f"errors-{index:06d}.jsonl"

    def result_file(self, job_id: str, fmt: str) -> Location:
        return self.job_dir(job_id) / f"predictions{FORMAT_SUFFIXES[fmt]}"

    def errors_file(self, job_id: str) -> Location:
        return self.job_dir(job_id) / "errors.jsonl"

    def captures_root(self) -> Location:
        """Captured payloads (storage/captures.py): deployments/<name>/... and jobs/<id>/..."""
        return self.root / "captures"

    def deployment_captures(self, name: str) -> Location:
        return self.captures_root() / "deployments" / _part(name)

    def job_captures(self, job_id: str) -> Location:
        return self.captures_root() / "jobs" / _part(job_id)


def _part(name: str) -> str:
    """A name checked to be one plain path component: defence in depth, callers already check their ids."""
    if not NAME.match(name):  # one path component, never '..' or '/'
        raise PathNotAllowed(f"{name!r} is not a valid name for a stored file")
    return name
