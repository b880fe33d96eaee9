"""`batchsvc schedules apply DIR`: schedules declared as files (YAML or TOML, one a file) made so in Redis.

A file's schedule has the id `file-<file stem>` and the source `file:<file name>`, so applying the same
folder again finds and compares the same records: unchanged ones are not written (nor their next run
moved). Every file is read and validated before anything is written: one bad file changes nothing.
This is an operator command and talks to Redis directly, with the API's own validation (schedules.py),
so it works before the API is up; the running scheduler hears of each change like of an HTTP one.
"""

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from batchsvc.clock import iso
from batchsvc.errors import BatchsvcError, InvalidRequest
from batchsvc.scheduling import manage as schedules
from batchsvc.scheduling.schemas import ScheduleRequest
from batchsvc.schemas import summary
from batchsvc.storage.services import Services

FILE_ID_PREFIX = "file-"
SOURCE_PREFIX = "file:"
STEM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
READERS = {".yaml": "yaml", ".yml": "yaml", ".toml": "toml"}


@dataclass
class Declared:
    path: Path
    schedule_id: str
    request: ScheduleRequest

    @property
    def source(self) -> str:
        return f"{SOURCE_PREFIX}{self.path.name}"


@dataclass
class Outcome:
    action: str  # created, updated, unchanged, deleted
    schedule_id: str
    name: str
    source: str


def apply(svc: Services, directory: Path, prune: bool = False) -> list[Outcome]:
    """Create or update the schedule of every file in `directory`; with prune, delete file schedules without one."""
    declared = read_folder(svc, directory)
    outcomes = []
    for item in declared:
        action, record = schedules.replace(svc, item.schedule_id, item.request, item.source)
        outcomes.append(Outcome(action, item.schedule_id, record["definition"]["name"], item.source))
    if prune:
        keep = {item.schedule_id for item in declared}
        for record in svc.schedules.all():
            if record["source"].startswith(SOURCE_PREFIX) and record["id"] not in keep:
                svc.schedules.delete(record["id"])
                outcomes.append(Outcome("deleted", record["id"], record["definition"]["name"], record["source"]))
    return outcomes


def read_folder(svc: Services, directory: Path) -> list[Declared]:
    """Every schedule file in the folder, parsed and validated; InvalidRequest listing every bad file."""
    if not directory.is_dir():
        raise InvalidRequest(f"{directory} is not a folder; give the folder that holds the schedule files")
    declared: list[Declared] = []
    problems: list[str] = []
    stems: dict[str, Path] = {}
    for path in sorted(p for p in directory.iterdir() if p.suffix in READERS and not p.name.startswith(".")):
        try:
            item = _read(svc, path)
        except BatchsvcError as exc:
            problems.append(f"{path}: {exc.message}")
            continue
        if path.stem in stems:
            problems.append(f"{path}: {stems[path.stem].name} declares the same schedule; keep one of them")
            continue
        stems[path.stem] = path
        declared.append(item)
    if problems:
        raise InvalidRequest("nothing applied; fix these files:\n  " + "\n  ".join(problems))
    return declared


def _read(svc: Services, path: Path) -> Declared:
    if not STEM.match(path.stem):
        raise InvalidRequest("a schedule file name may hold only letters, digits, '_', '.' and '-'")
    data = load_file(path)
    data.setdefault("name", path.stem)
    try:
        request = ScheduleRequest.model_validate(data)
    except ValidationError as exc:
        raise InvalidRequest(summary(exc, whole="file")) from None
    schedules.check(svc, schedules.definition_of(request), iso())
    return Declared(path, FILE_ID_PREFIX + path.stem, request)


def load_file(path: Path) -> dict:
    """The mapping a YAML or TOML schedule file holds."""
    try:
        if READERS[path.suffix] == "toml":
            data = tomllib.loads(path.read_text())
        else:
            data = yaml.safe_load(path.read_text())
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
        hint = " (quote the cron string: cron: \"*/15 * * * *\")" if READERS[path.suffix] == "yaml" else ""
        raise InvalidRequest(f"not valid {READERS[path.suffix].upper()}: {exc}{hint}") from None
    if not isinstance(data, dict):
        raise InvalidRequest("the file must hold one mapping of schedule fields (name, cron, job, ...)")
    return data

