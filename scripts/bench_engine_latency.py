"""One-row latency per engine: the model time of a single-row predict (feeding included), in process.

Prints the median and 90th percentile of CALLS calls per engine, and the onnx/sklearn ratio. Run with
one native thread per process, as a worker has (the script sets it before numpy loads).

  python scripts/bench_engine_latency.py [--calls 2000]
"""

import argparse
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import time  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from batchsvc.scoring.engines.categories import strict_categories  # noqa: E402
from batchsvc.scoring.engines.onnx import OnnxEngine, compile_onnx  # noqa: E402
from batchsvc.scoring.engines.sklearn import SklearnEngine  # noqa: E402
from batchsvc.scoring.modelinfo import inspect_model  # noqa: E402
from batchsvc.scoring.sample import FIELDS, WATSON_ROW, make_credit_risk, train_credit_risk  # noqa: E402

WARM_CALLS = 50


def timings_ms(engine, row: pd.DataFrame, calls: int) -> np.ndarray:
    for _ in range(WARM_CALLS):
        engine.predict(row)
    out = np.empty(calls)
    for i in range(calls):
        started = time.perf_counter()
        engine.predict(row)
        out[i] = (time.perf_counter() - started) * 1000
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    model = train_credit_risk(make_credit_risk(20_000, seed=43))
    info = inspect_model(model)
    row = pd.DataFrame([WATSON_ROW], columns=FIELDS)
    engines = {"sklearn": SklearnEngine(model, info),
               "onnx": OnnxEngine(compile_onnx(model, info), info, strict_categories(model))}
    medians = {}
    for name, engine in engines.items():
        ms = timings_ms(engine, row, args.calls)
        medians[name] = float(np.median(ms))
        print(f"{name:8s} one row: median {medians[name]:6.3f} ms   p90 {np.percentile(ms, 90):6.3f} ms")
    print(f"onnx / sklearn: {medians['onnx'] / medians['sklearn']:.3f}x")


if __name__ == "__main__":
    main()
