"""The compile step: try a version's fast engine, verify it against scikit-learn, store what was decided.

Run at registration and by POST /v1/models/{name}/versions/{v}/compile, in the API's compile process
(jobs/compile_process.py). A refusal never fails the registration: the version then scores with the exact
engine, as before engines existed.
"""

import hashlib
import io

import pandas as pd
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from batchsvc.errors import InvalidRequest
from batchsvc.jobs.model_cache import ModelCache
from batchsvc.scoring.engines.verify import trial
from batchsvc.scoring.modelinfo import ModelInfo
from batchsvc.storage.files import atomic_file
from batchsvc.storage.services import Services


def compile_version(svc: Services, meta: dict, sample: pd.DataFrame | None = None) -> dict:
    """Trial the onnx engine for a registered version; returns the version's record with its `engine`."""
    if meta.get("kind") == "code":
        raise InvalidRequest("a code model scores with its own run(); it has no fast engine to compile")
    model = ModelCache(svc.data).get(meta)
    record, artefact = trial(model, ModelInfo.from_dict(meta), sample, svc.settings.engine_tolerance)
    path = svc.data.engine_file(meta["name"], meta["version"])
    if artefact is None:
        path.unlink()
    else:
        with atomic_file(path) as f:
            f.write(artefact)
        record["sha256"] = hashlib.sha256(artefact).hexdigest()
    return svc.registry.set_engine(meta["name"], meta["version"], record)


def read_sample(data: bytes, filename: str, field: str = "sample") -> pd.DataFrame:
    """A verification sample (or baseline: `field`) sent with a registration: Parquet (by magic bytes) or CSV."""
    try:
        if data[:4] == b"PAR1":
            return pq.read_table(io.BytesIO(data)).to_pandas()
        return pacsv.read_csv(io.BytesIO(data)).to_pandas()
    except Exception as exc:
        raise InvalidRequest(f"{field} {filename!r} is neither a readable CSV nor Parquet file: {exc}",
                             field=field) from None
