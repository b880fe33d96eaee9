"""What drift profiling adds to a chunk: CPU seconds of reading and scoring a file's chunks with and without
profiling each batch (profile_of against a baseline of the training rows, as jobs/drift.py does), and the ratio.

In process, one thread, the worker's own functions (filesets.read_chunk, score_table) over a generated file of
ROWS credit-risk rows, per engine; process time, so a busy machine slows the wall clock, not these figures.

  python scripts/bench_drift.py [--rows 500000] [--format parquet|csv] [--runs 3]
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from profile_chunk import CHUNK_ROWS, PASSTHROUGH, credit_file  # noqa: E402 (beside this script)

from batchsvc.scoring import filesets  # noqa: E402
from batchsvc.scoring.engines.onnx import OnnxEngine, compile_onnx  # noqa: E402
from batchsvc.scoring.engines.sklearn import SklearnEngine  # noqa: E402
from batchsvc.scoring.modelinfo import inspect_model  # noqa: E402
from batchsvc.scoring.profile import baseline_of, merge, profile_of  # noqa: E402
from batchsvc.scoring.sample import FIELDS, make_credit_risk, train_credit_risk  # noqa: E402
from batchsvc.scoring.score import score_table  # noqa: E402
from batchsvc.scoring.sources import FileSource  # noqa: E402


def run(engine, info, source: FileSource, baseline: dict | None) -> float:
    """CPU seconds to read and score every chunk of the file, profiling each batch when given a baseline."""
    plan = filesets.plan_files([source], CHUNK_ROWS, explicit=False)
    started = time.process_time()
    for chunk in plan.chunks:
        profile = None
        for batch in filesets.read_chunk([source], chunk, [*PASSTHROUGH, *info.features], CHUNK_ROWS,
                                         text=info.text_features):
            if baseline is not None:
                found = profile_of(batch.rows if batch.rows is not None else batch.arrow, baseline)
                profile = found if profile is None else merge(profile, found)
            score_table(engine, info, batch, PASSTHROUGH, 0, 0)
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    training = make_credit_risk(20_000, seed=43)
    model, baseline = train_credit_risk(training), baseline_of(training, FIELDS)
    info = inspect_model(model)
    with tempfile.TemporaryDirectory() as tmp:
        source = credit_file(Path(tmp), args.rows, args.format)
        print(f"{args.rows:,} rows, {args.format}, chunks of {CHUNK_ROWS:,}; median CPU s of {args.runs} runs")
        for engine in (SklearnEngine(model, info), OnnxEngine(compile_onnx(model, info), info, {})):
            pairs = [(run(engine, info, source, None), run(engine, info, source, baseline))
                     for _ in range(args.runs)]  # interleaved, so a busy spell weighs on both alike
            plain, profiled = (statistics.median(times) for times in zip(*pairs))
            print(f"  {engine.name:8s} read+score {plain:6.3f} s   with profiling {profiled:6.3f} s   "
                  f"ratio {profiled / plain:5.3f}")


if __name__ == "__main__":
    main()
