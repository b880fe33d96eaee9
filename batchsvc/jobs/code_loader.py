"""Loading a code model in this process: its zip unpacked once by sha256, score.py imported under its own name.

Each version's module is `batchsvc_code_<sha[:16]>`, imported with its own folder first on sys.path only while
it is imported and initialised; modules it brought from that folder are dropped from sys.modules afterwards, so
two versions (or two models both with a helpers.py) never see each other's modules or globals.
"""

import importlib.util
import io
import os
import sys
import tempfile
import traceback
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

from batchsvc.errors import ModelError, UserCodeError
from batchsvc.scoring.engines.code import CodeEngine
from batchsvc.storage.code_models import ENTRY

_ROOT: dict[int, Path] = {}  # process id -> this process's unpack folder


def code_engine(data: bytes, meta: dict) -> CodeEngine:
    """The version's engine: unpacked, imported and initialised (init(model_dir) once per process and version)."""
    label = f"code model {meta['name']}@{meta['version']}"
    folder = _unpacked(data, meta["sha256"])
    module = _import(folder, f"batchsvc_code_{meta['sha256'][:16]}", label)
    return CodeEngine(module.run, list(meta.get("outputs") or []), label)


def _root() -> Path:
    """This process's folder of unpacked code models (a fresh one per process: init may write into it)."""
    pid = os.getpid()
    if pid not in _ROOT:
        _ROOT[pid] = Path(tempfile.mkdtemp(prefix=f"batchsvc-code-{pid}-"))
    return _ROOT[pid]


def _unpacked(data: bytes, sha256: str) -> Path:
    """The zip's files in a folder named by its checksum (zipfile keeps every name inside it)."""
    folder = _root() / sha256
    if not (folder / ENTRY).is_file():
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            z.extractall(folder)
    return folder


def _import(folder: Path, name: str, label: str) -> ModuleType:
    """score.py imported as `name` and its init(folder) called; a failure is a UserCodeError with its traceback."""
    spec = importlib.util.spec_from_file_location(name, folder / ENTRY)
    if spec is None or spec.loader is None:
        raise ModelError(f"{label}: {ENTRY} cannot be imported")
    module = importlib.util.module_from_spec(spec)
    with _own_path(folder):
        try:
            sys.modules[name] = module
            spec.loader.exec_module(module)
            module.init(folder)
        except Exception as exc:
            sys.modules.pop(name, None)
            raise UserCodeError(f"{label}: {'init()' if hasattr(module, 'init') else ENTRY} raised "
                                f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc(),
                                phase="init") from None
    return module


@contextmanager
def _own_path(folder: Path) -> Iterator[None]:
    """The folder first on sys.path for the block; modules imported from it are forgotten after."""
    before = set(sys.modules)
    sys.path.insert(0, str(folder))
    try:
        yield
    finally:
        sys.path.remove(str(folder))
        for added in set(sys.modules) - before:
            origin = getattr(sys.modules[added], "__file__", None) or ""
            if origin.startswith(str(folder)) and not added.startswith("batchsvc_code_"):
                del sys.modules[added]
