"""Loading a code model in this process: its zip unpacked once by sha256, score.py imported under its own name.

Each version's module is `batchsvc_code_<sha[:16]>`, imported with its own folder first on sys.path only while
it is imported and initialised; modules it brought from that folder are dropped from sys.modules afterwards, so
two versions (or two models both with a helpers.py) never see each other's modules or globals. Azure's `init()`
(no parameter) runs with AZUREML_MODEL_DIR (and AML_APP_ROOT, AZUREML_ENTRY_SCRIPT) naming that folder, as azmlinfsrv
sets them, and azureml-core's Model.get_model_path searching that folder's azureml-models/ (below); `init(model_dir)`
gets the folder. Imports and inits run one at a time in a process (they set process-wide state). What init prints
is kept on the engine (the deployment's logs show it).
A run marked with Azure's @rawhttp while score.py is imported is remembered (scoring/azure_rawhttp.py).
"""

import contextlib
import importlib.util
import inspect
import io
import os
import sys
import tempfile
import threading
import traceback
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from batchsvc.errors import ModelError, UserCodeError
from batchsvc.scoring.azure_rawhttp import EXTRA, VENDOR, VENDOR_MODULES, load_marking, vendor_flags
from batchsvc.scoring.engines.code import CodeEngine
from batchsvc.storage.code_models import ENTRY

_ROOT: dict[int, Path] = {}  # process id -> this process's unpack folder
_LOADING = threading.Lock()  # sys.path, os.environ and azureml-core's MODELS_DIR are the process's: one load at a time
AZUREML_MODEL = "azureml.core.model"  # azureml-core's Model, when score.py has imported it
MODELS_FOLDER = "azureml-models"  # where Model.get_model_path looks: <AML_APP_ROOT>/azureml-models/<name>/<version>/


def code_engine(data: bytes, meta: dict) -> CodeEngine:
    """The version's engine: unpacked, imported and initialised (init(model_dir) once per process and version)."""
    label = f"code model {meta['name']}@{meta['version']}"
    folder = _unpacked(data, meta["sha256"])
    module, printed = import_entry(folder, f"batchsvc_code_{meta['sha256'][:16]}", label)
    return CodeEngine(module.run, list(meta.get("outputs") or []), label, init_output=printed)


def unpacked_folder(sha256: str) -> Path:
    """Where this process unpacks the version's zip (there once its engine is loaded here)."""
    return _root() / sha256


def _root() -> Path:
    """This process's folder of unpacked code models (a fresh one per process: init may write into it)."""
    pid = os.getpid()
    if pid not in _ROOT:
        _ROOT[pid] = Path(tempfile.mkdtemp(prefix=f"batchsvc-code-{pid}-"))
    return _ROOT[pid]


def _unpacked(data: bytes, sha256: str) -> Path:
    """The zip's files in a folder named by its checksum (zipfile keeps every name inside it)."""
    folder = unpacked_folder(sha256)
    if not (folder / ENTRY).is_file():
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            z.extractall(folder)
    return folder


def import_entry(folder: Path, name: str, label: str, model_dir: Path | None = None) -> tuple[ModuleType, str]:
    """score.py imported as `name` and its init called (Azure's way or ours) with model_dir (default: the folder);
    returns the module and what import and init printed. A failure is a UserCodeError with its traceback and that
    output."""
    model_dir = model_dir or folder
    spec = importlib.util.spec_from_file_location(name, folder / ENTRY)
    if spec is None or spec.loader is None:
        raise ModelError(f"{label}: {ENTRY} cannot be imported")
    module = importlib.util.module_from_spec(spec)
    printed = io.StringIO()
    with _LOADING, _own_path(folder), azure_environment(folder, model_dir), contextlib.redirect_stdout(printed):
        try:
            sys.modules[name] = module
            load_marking(lambda: _load(spec, module, model_dir))
        except Exception as exc:
            sys.modules.pop(name, None)
            raise UserCodeError(f"{label}: {'init()' if hasattr(module, 'init') else ENTRY} raised "
                                f"{type(exc).__name__}: {exc}{_missing_vendor(exc)}", traceback=traceback.format_exc(),
                                phase="init", output=printed.getvalue() or None) from None
    return module, printed.getvalue()


def _load(spec, module: ModuleType, model_dir: Path) -> ModuleType:
    """score.py executed into its module, then its init called."""
    spec.loader.exec_module(module)
    _call_init(module.init, model_dir)
    return module


def _missing_vendor(exc: Exception) -> str:
    """What to install when score.py imports Azure's serving package (its @rawhttp and AMLResponse) and it is not
    installed: the import names only `azureml`, so the failing line of score.py tells which."""
    if not isinstance(exc, ModuleNotFoundError) or not (exc.name or "").startswith("azureml"):
        return ""
    frames = traceback.extract_tb(exc.__traceback__)
    line = (frames[-1].line or "") if frames else ""
    if not any(module in line for module in VENDOR_MODULES) or vendor_flags() is not None:
        return ""
    return f" ({line.strip()!r} needs {VENDOR}: install {EXTRA!r} on the server)"


def _call_init(init, model_dir: Path) -> None:
    """init() as Azure calls it (no parameter: AZUREML_MODEL_DIR names the folder), or init(model_dir)."""
    if inspect.signature(init).parameters:
        init(model_dir)
    else:
        init()


def azure_variables(folder: Path, model_dir: Path) -> dict[str, str]:
    """The environment azmlinfsrv gives score.py: its model folder, its app root, its file name."""
    return {"AZUREML_MODEL_DIR": str(model_dir), "AML_APP_ROOT": str(folder), "AZUREML_ENTRY_SCRIPT": ENTRY}


@contextmanager
def azure_environment(folder: Path, model_dir: Path) -> Iterator[None]:
    """AZUREML_MODEL_DIR, AML_APP_ROOT and AZUREML_ENTRY_SCRIPT as azmlinfsrv sets them, for import and init only
    (the variables before are put back: two versions in one process each see their own folder)."""
    values = azure_variables(folder, model_dir)
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        with _models_dir(folder):
            yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def _models_dir(folder: Path) -> Iterator[None]:
    """azureml-core's Model.get_model_path reads its module's MODELS_DIR on every call, computed once from AML_APP_ROOT
    when first imported; while another version's score.py is imported and inits, it is set to what that import
    computes from this version's AML_APP_ROOT (then put back), so each version of a process finds its own files."""
    model: Any = sys.modules.get(AZUREML_MODEL)  # azureml-core's module, untyped
    if model is None:  # score.py may import it now, and it then reads AML_APP_ROOT, set to this folder
        yield
        return
    before = model.MODELS_DIR
    model.MODELS_DIR = os.path.join(str(folder), MODELS_FOLDER)
    try:
        yield
    finally:
        model.MODELS_DIR = before


@contextmanager
def _own_path(folder: Path) -> Iterator[None]:
    """The folder first on sys.path for the block; modules from it are forgotten before and after, so score.py
    imported again (batchsvc serve) imports them again too."""
    _forget(folder)
    sys.path.insert(0, str(folder))
    try:
        yield
    finally:
        sys.path.remove(str(folder))
        _forget(folder)


def _forget(folder: Path) -> None:
    """Drop the folder's modules (its score.py modules named batchsvc_code_* aside) from sys.modules."""
    prefix = str(folder) + os.sep
    for name, module in list(sys.modules.items()):
        if (getattr(module, "__file__", None) or "").startswith(prefix) and not name.startswith("batchsvc_code_"):
            del sys.modules[name]
