"""Worker-side model loading: verify each file's sha256, then keep models and engines warm by checksum."""

import hashlib
import io
import os
import threading
from collections import OrderedDict
from collections.abc import Callable

import joblib

from batchsvc.errors import ChecksumMismatch, ModelError
from batchsvc.jobs.code_loader import code_engine
from batchsvc.scoring.engines import AUTO, CODE, SKLEARN, Engine, choose
from batchsvc.scoring.engines.categories import strict_categories
from batchsvc.scoring.engines.onnx import OnnxEngine, allows_nan
from batchsvc.scoring.engines.sklearn import SklearnEngine
from batchsvc.scoring.engines.trees import float32_trees
from batchsvc.scoring.modelinfo import ModelInfo, inspect_model
from batchsvc.storage.files import DataDir, Location

CACHED_MODELS = 4


class ModelCache:
    def __init__(self, data: DataDir, size: int = CACHED_MODELS):
        self.data, self.size = data, size
        self._items: OrderedDict[str, object] = OrderedDict()
        self._lock = threading.RLock()

    def get(self, meta: dict):
        """The loaded estimator for a registry entry; refuses a file that is not the one registered."""
        return self._cached(meta["sha256"], lambda: self._load(meta))

    def engine(self, meta: dict, requested: str = AUTO) -> Engine:
        """The engine a job (or request) scores with: the version's verified engine unless sklearn is forced;
        a code model's own run()."""
        if meta.get("kind") == CODE:
            return self._cached(f"code:{meta['sha256']}", lambda: self._code(meta))
        if choose(meta.get("engine"), requested) == SKLEARN:
            return self._cached(f"sklearn:{meta['sha256']}", lambda: SklearnEngine(self.get(meta),
                                                                                   ModelInfo.from_dict(meta)))
        return self._cached(f"onnx:{meta['engine']['sha256']}", lambda: self._onnx(meta))

    def info(self, meta: dict) -> ModelInfo:
        """What the version needs: a code model's as its manifest declares it; an estimator's read from the loaded
        estimator once, so a version registered before inspection learnt something (e.g. which encoded columns
        are text) is read right, not as it was recorded."""
        if meta.get("kind") == CODE:
            return ModelInfo.from_dict(meta)
        declared = None if meta.get("named_features", True) else meta["features"]
        return self._cached(f"info:{meta['sha256']}", lambda: inspect_model(self.get(meta), declared))

    def _cached(self, key: str, load: Callable[[], object]):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            item = load()
            self._items[key] = item
            if len(self._items) > 3 * self.size:  # a model, its engine and what it needs, per version
                self._items.popitem(last=False)
            return item

    def _load(self, meta: dict):
        path = self.data.model_file(meta["name"], meta["version"])
        return joblib.load(io.BytesIO(_verified(path, meta["sha256"], f"model file {_ref(meta)}")))

    def _code(self, meta: dict) -> Engine:
        path = self.data.code_file(meta["name"], meta["version"])
        return code_engine(_verified(path, meta["sha256"], f"code model {_ref(meta)} (model.zip)"), meta)

    def _onnx(self, meta: dict) -> OnnxEngine:
        path = self.data.engine_file(meta["name"], meta["version"])
        artefact = _verified(path, meta["engine"]["sha256"], f"compiled engine {_ref(meta)} (model.onnx)")
        model = self.get(meta)
        info = ModelInfo.from_dict(meta)
        return OnnxEngine(artefact, info, strict_categories(model), _threads(), allows_nan(model),
                          exact=SklearnEngine(model, info) if float32_trees(model) else None)


def _verified(path: Location, expected: str, what: str) -> bytes:
    """The file's bytes, read once and hashed; ChecksumMismatch when they are not the registered ones."""
    if not path.is_file():
        raise ModelError(f"{what} is missing at {path}")
    data = path.read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise ChecksumMismatch(f"{what} has sha256 {actual[:12]}…, registered {expected[:12]}…: the file was "
                               "changed after registration; register it again")
    return data


def _ref(meta: dict) -> str:
    return f"{meta['name']}@{meta['version']}"


def _threads() -> int:
    """onnxruntime threads per worker process: as many as BLAS/OpenMP get (worker/process.py sets them)."""
    return int(os.environ.get("OMP_NUM_THREADS") or 1)
