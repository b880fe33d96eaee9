"""The model registry: versions, aliases and metadata in Redis, files under the data dir."""

import hashlib
import json
from pathlib import Path
from typing import cast

import joblib
import pandas as pd
import redis

from batchsvc.clock import iso
from batchsvc.errors import InvalidModel, InvalidRequest, ModelNotFound
from batchsvc.names import check_name
from batchsvc.scoring.baseline import version_baseline
from batchsvc.scoring.modelinfo import ModelInfo, inspect_model
from batchsvc.storage.code_models import inspect_code, is_zip
from batchsvc.storage.files import DataDir, copy_file, locate
from batchsvc.storage.local_cache import LocalCache, announce
from batchsvc.storage.redis_keys import Keys

# KEYS: versions hash, aliases hash; ARGV: the selector ('' for the latest version). The version's JSON or nil.
RESOLVE = """
local v = ARGV[1]
if v == '' then
  local best = -1
  for _, k in ipairs(redis.call('HKEYS', KEYS[1])) do
    local n = tonumber(k)
    if n and n > best then best = n end
  end
  if best < 0 then return false end
  v = tostring(best)
elseif string.match(v, '^%d+$') then
  v = tostring(tonumber(v))
else
  v = redis.call('HGET', KEYS[2], v)
  if not v then return false end
end
return redis.call('HGET', KEYS[1], v)
"""


def split_ref(ref: str) -> tuple[str, str | None]:
    """'credit-risk@3' -> ('credit-risk', '3'); 'credit-risk' -> ('credit-risk', None)."""
    name, _, selector = ref.partition("@")
    return name, selector or None


class Registry:
    def __init__(self, client: redis.Redis, keys: Keys, data: DataDir, cache: LocalCache | None = None):
        self.r, self.keys, self.data = client, keys, data
        self.cache = cache or LocalCache()  # off unless a ChangeListener keeps it fresh (API processes' and workers')
        self._resolve = client.register_script(RESOLVE)

    def _changed(self, name: str) -> None:
        announce(self.r, self.keys, f"model:{name}", self.cache)

    def register(self, name: str, upload: Path, description: str = "", tags: list[str] | None = None,
                 features: list[str] | None = None, force: bool = False, baseline: pd.DataFrame | None = None,
                 sample: pd.DataFrame | None = None) -> tuple[dict, bool]:
        """Inspect an uploaded joblib file (or a code model's zip), then store it as the model's next version;
        returns (meta, created): the same file as the latest version answers that version unless force.
        Its drift baseline comes from the `baseline` rows (refused when they do not fit), else the `sample`."""
        check_name(name)
        latest, digest = self._latest(name), _sha256(upload)
        if latest is not None and not force and latest["sha256"] == digest:
            return latest, False
        code = is_zip(upload)
        info = inspect_code(upload) if code else inspect_model(_load(upload), features).to_dict()
        drift_baseline = version_baseline(info, baseline, sample)
        version = self.r.incr(self.keys.model_next_version(name))
        dest = (self.data.code_file if code else self.data.model_file)(name, version)
        copy_file(locate(upload), dest)
        meta = {"name": name, "version": version, "sha256": digest, "size_bytes": upload.stat().st_size,
                "description": description, "tags": tags or [], "created_at": iso(), **info}
        if drift_baseline is not None:
            meta["baseline"] = drift_baseline
        with self.r.pipeline() as p:
            p.hset(self.keys.model_versions(name), str(version), json.dumps(meta))
            p.sadd(self.keys.models_index(), name)
            p.execute()
        self._changed(name)
        return meta, True

    def _latest(self, name: str) -> dict | None:
        """The newest version's metadata, or None for a model with none."""
        raw = self.r.hvals(self.keys.model_versions(name))
        return max((json.loads(v) for v in raw), key=lambda m: m["version"], default=None)

    def set_engine(self, name: str, version: int, engine: dict) -> dict:
        """Record a version's engine trial (chosen, max_difference, speedup, refused_reason, sha256)."""
        meta = {**self.version(name, version), "engine": engine}
        self.r.hset(self.keys.model_versions(name), str(version), json.dumps(meta))
        self._changed(name)
        return meta

    def mark_init_failed(self, name: str, version: int, message: str, traceback: str) -> None:
        """Record that a code version's init() raised: state failed, with the message and the user's traceback."""
        failure = {"message": message, "traceback": traceback, "at": iso()}
        meta = {**self.version(name, version), "state": "failed", "init_error": failure}
        self.r.hset(self.keys.model_versions(name), str(version), json.dumps(meta))
        self._changed(name)

    def version(self, name: str, version: int) -> dict:
        """A version's metadata (from process memory while a ChangeListener keeps it fresh: workers read it for
        every job)."""
        return dict(self.cache.read(("version", name, int(version)), lambda: self._version_now(name, version)))

    def _version_now(self, name: str, version: int) -> dict:
        raw = self.r.hget(self.keys.model_versions(name), str(version))
        if raw is None:
            raise ModelNotFound(f"model {name!r} has no version {version}", model=name, field="model")
        return json.loads(raw)

    def versions(self, name: str) -> list[dict]:
        raw = self.r.hgetall(self.keys.model_versions(name))
        if not raw:
            raise ModelNotFound(f"no model named {name!r}; register a version first (`batchsvc models register "
                                f"{name} FILE`, or POST /v1/models/{name}/versions)",
                                model=name, field="model")
        return sorted((json.loads(v) for v in raw.values()), key=lambda m: m["version"])

    def aliases(self, name: str) -> dict[str, int]:
        raw = cast(dict[str, str], self.r.hgetall(self.keys.model_aliases(name)))  # decode_responses=True: str
        return {a: int(v) for a, v in raw.items()}

    def resolve(self, ref: str) -> dict:
        """The metadata of the version a reference names: name, name@3 or name@alias (one round trip, or none
        while the API's memory of it is fresh, so online requests can resolve their alias every time)."""
        return dict(self.cache.read(("resolve", ref), lambda: self._resolve_now(ref)))

    def _resolve_now(self, ref: str) -> dict:
        name, selector = split_ref(ref)
        raw = self._resolve(keys=[self.keys.model_versions(name), self.keys.model_aliases(name)], args=[selector or ""])
        if raw is not None:
            return json.loads(raw)
        return self._resolve_slowly(name, selector)

    def _resolve_slowly(self, name: str, selector: str | None) -> dict:
        """The reference resolved step by step: raises the error that names what is missing."""
        if selector is None:
            return self.versions(name)[-1]
        if selector.isdigit():
            return self.version(name, int(selector))
        version = self.aliases(name).get(selector)
        if version is None:
            self.versions(name)
            raise ModelNotFound(f"model {name!r} has no alias {selector!r}", model=name, field="model")
        return self.version(name, version)

    def describe(self, name: str) -> dict:
        versions = self.versions(name)
        return {"name": name, "latest_version": versions[-1]["version"], "aliases": self.aliases(name),
                "versions": versions}

    def list(self) -> list[dict]:
        out = []
        names = cast(set[str], self.r.smembers(self.keys.models_index()))  # decode_responses=True: str
        for name in sorted(names):
            try:
                d = self.describe(name)
            except ModelNotFound:
                continue
            latest = d["versions"][-1]
            out.append({"name": name, "latest_version": latest["version"], "task": latest["task"],
                        "aliases": d["aliases"], "versions": len(d["versions"]), "updated_at": latest["created_at"]})
        return out

    def set_alias(self, name: str, alias: str, version: int) -> dict:
        check_name(alias, "alias")
        if alias.isdigit():
            raise InvalidRequest("an alias cannot be a number (it would read as a version)", field="alias")
        self.version(name, version)
        self.r.hset(self.keys.model_aliases(name), alias, version)
        self._changed(name)
        return self.describe(name)

    def delete_version(self, name: str, version: int) -> None:
        self.version(name, version)
        with self.r.pipeline() as p:
            p.hdel(self.keys.model_versions(name), str(version))
            for alias, v in self.aliases(name).items():
                if v == version:
                    p.hdel(self.keys.model_aliases(name), alias)
            p.execute()
        self._changed(name)
        self.data.version_dir(name, version).remove_tree()
        if not self.r.hlen(self.keys.model_versions(name)):
            self.r.srem(self.keys.models_index(), name)


def _sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _load(path: Path):
    try:
        return joblib.load(path)
    except (ImportError, AttributeError) as exc:  # a class the server cannot import: say which
        raise InvalidModel(f"the model file needs code this server lacks: {type(exc).__name__}: {exc}") from None
    except Exception:
        raise InvalidModel("the file is not a joblib-saved model; save the fitted estimator with "
                           "joblib.dump(model, 'model.joblib') and register that file", field="file") from None


def model_info(meta: dict) -> ModelInfo:
    return ModelInfo.from_dict(meta)
