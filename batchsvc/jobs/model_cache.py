"""Worker-side model loading: verify the file's sha256, then keep the model warm by checksum."""

import threading
from collections import OrderedDict

import joblib

from batchsvc.errors import ChecksumMismatch, ModelError
from batchsvc.storage.files import DataDir, sha256_file

CACHED_MODELS = 4


class ModelCache:
    def __init__(self, data: DataDir, size: int = CACHED_MODELS):
        self.data, self.size = data, size
        self._models: OrderedDict[str, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, meta: dict):
        """The loaded estimator for a registry entry; refuses a file that is not the one registered."""
        key = meta["sha256"]
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key]
            model = self._load(meta)
            self._models[key] = model
            if len(self._models) > self.size:
                self._models.popitem(last=False)
            return model

    def _load(self, meta: dict):
        path = self.data.model_file(meta["name"], meta["version"])
        if not path.is_file():
            raise ModelError(f"model file for {meta['name']}@{meta['version']} is missing at {path}")
        actual = sha256_file(path)
        if actual != meta["sha256"]:
            raise ChecksumMismatch(
                f"model file {meta['name']}@{meta['version']} has sha256 {actual[:12]}…, registered "
                f"{meta['sha256'][:12]}…: the file was changed after registration; register it again"
            )
        return joblib.load(path)
