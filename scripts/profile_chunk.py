"""Where a chunk's time goes, step by step, per engine: read, to pandas, coerce, predict, assemble, part write.

In process, one thread, over a generated Parquet of ROWS rows in 50k-row batches (the worker's path
through batchsvc.scoring, without Redis). Prints seconds per step and each step's share.

  python scripts/profile_chunk.py [--rows 200000]
"""

import argparse
import io
import os
import tempfile
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import pyarrow.parquet as pq  # noqa: E402

from batchsvc.scoring import output  # noqa: E402
from batchsvc.scoring.engines.categories import unknown_rows  # noqa: E402
from batchsvc.scoring.engines.onnx import OnnxEngine, compile_onnx  # noqa: E402
from batchsvc.scoring.engines.sklearn import SklearnEngine  # noqa: E402
from batchsvc.scoring.modelinfo import inspect_model  # noqa: E402
from batchsvc.scoring.predict import predict  # noqa: E402
from batchsvc.scoring.prepare import prepare  # noqa: E402
from batchsvc.scoring.sample import FIELDS, make_credit_risk, train_credit_risk  # noqa: E402
from batchsvc.scoring.sources import numbered  # noqa: E402

BATCH_ROWS = 50_000


def profile(engine, info, path: Path) -> dict:
    spent: dict = defaultdict(float)
    writer = output.PartWriter(io.BytesIO())
    clock = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        spent[step] += now - clock
        clock = now

    for batch in pq.ParquetFile(path).iter_batches(batch_size=BATCH_ROWS, columns=["CustomerID", *FIELDS]):
        lap("read parquet")
        frame = numbered(batch.to_pandas(), 1)
        lap("arrow to pandas")
        ready = prepare(frame, info, False).frame
        unknown_rows(ready, engine.strict, False)
        lap("coerce + category check")
        predictions = predict(engine, info, ready[info.features])
        lap(f"predict ({engine.name})")
        rows = output.output_frame(ready, predictions, ["CustomerID"])
        lap("assemble output frame")
        writer.write(rows)
        lap("part write (parquet)")
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    model = train_credit_risk(make_credit_risk(20_000, seed=43))
    info = inspect_model(model)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.parquet"
        make_credit_risk(args.rows, seed=1).to_parquet(path, index=False, row_group_size=BATCH_ROWS)
        for engine in (SklearnEngine(model, info), OnnxEngine(compile_onnx(model, info), info, {})):
            spent = profile(engine, info, path)
            total = sum(spent.values())
            print(f"\n{engine.name}: {total:.2f} s for {args.rows:,} rows")
            for step, seconds in spent.items():
                print(f"  {step:26s} {seconds:7.3f} s  {seconds / total:5.1%}")


if __name__ == "__main__":
    main()
