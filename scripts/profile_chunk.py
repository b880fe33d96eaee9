"""Where a job's time goes, step by step, per engine: read, score (checks, feed, model), part write, assemble.

In process, one thread, the worker's own functions (filesets.read_chunk, score_table, PartWriter, assemble)
over a generated Parquet or CSV of ROWS rows cut into chunks as a job would be, without Redis. Prints CPU seconds
per step (process time: a busy machine slows the wall clock, not these) and each step's share; --pyinstrument also
prints pyinstrument's call tree of the whole run.

  python scripts/profile_chunk.py [--rows 1000000] [--format parquet|csv] [--output parquet|csv] [--pyinstrument]
"""

import argparse
import io
import os
import tempfile
import time
from collections import defaultdict
from contextlib import nullcontext
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from batchsvc.scoring import filesets, output  # noqa: E402
from batchsvc.scoring.engines.onnx import OnnxEngine, compile_onnx  # noqa: E402
from batchsvc.scoring.engines.sklearn import SklearnEngine  # noqa: E402
from batchsvc.scoring.modelinfo import inspect_model  # noqa: E402
from batchsvc.scoring.sample import make_credit_risk, train_credit_risk  # noqa: E402
from batchsvc.scoring.score import score_table  # noqa: E402
from batchsvc.scoring.sources import FileSource  # noqa: E402

CHUNK_ROWS = 50_000
PASSTHROUGH = ["CustomerID"]


def profile(engine, info, source: FileSource, out_format: str) -> dict:
    """Seconds per step over every chunk of the file, then the assembly of the parts."""
    spent: dict = defaultdict(float)
    plan = filesets.plan_files([source], CHUNK_ROWS, explicit=False)
    parts: list[bytes] = []
    clock = time.process_time()

    def lap(step: str) -> None:
        nonlocal clock
        now = time.process_time()
        spent[step] += now - clock
        clock = now

    for chunk in plan.chunks:
        sink = io.BytesIO()
        writer = output.PartWriter(sink)
        batches = filesets.read_chunk([source], chunk, [*PASSTHROUGH, *info.features], CHUNK_ROWS,
                                      text=info.text_features)
        lap("plan")
        for batch in batches:
            lap(f"read {source.format}")
            rows, _ = score_table(engine, info, batch, PASSTHROUGH, 0, 0)
            lap(f"score ({engine.name})")
            writer.write(rows)
            lap("part write")
        writer.close()
        parts.append(sink.getvalue())
        lap("part write")
    result = io.BytesIO()
    output.assemble([_opener(p) for p in parts], out_format, result)
    lap(f"assemble ({out_format})")
    return spent


def credit_file(folder: Path, rows: int, fmt: str) -> FileSource:
    """A generated credit-risk file of `rows` rows in the folder (Parquet in row groups of a chunk, or CSV)."""
    path = folder / f"in.{fmt}"
    data = make_credit_risk(rows, seed=1)
    if fmt == "parquet":
        data.to_parquet(path, index=False, row_group_size=CHUNK_ROWS)
    else:
        data.to_csv(path, index=False)
    return FileSource(path.name, fmt, lambda: open(path, "rb"), path.stat().st_size)


def _opener(data: bytes):
    return lambda: io.BytesIO(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    parser.add_argument("--output", choices=["parquet", "csv"], default="parquet")
    parser.add_argument("--pyinstrument", action="store_true")
    args = parser.parse_args()
    model = train_credit_risk(make_credit_risk(20_000, seed=43))
    info = inspect_model(model)
    with tempfile.TemporaryDirectory() as tmp:
        source = credit_file(Path(tmp), args.rows, args.format)
        for engine in (SklearnEngine(model, info), OnnxEngine(compile_onnx(model, info), info, {})):
            profiler = _profiler() if args.pyinstrument else None
            with profiler or nullcontext():
                spent = profile(engine, info, source, args.output)
            total = sum(spent.values())
            print(f"\n{engine.name}: {total:.2f} CPU s for {args.rows:,} rows ({args.format} in, {args.output} out)")
            for step, seconds in spent.items():
                print(f"  {step:26s} {seconds:7.3f} s  {seconds / total:5.1%}")
            if profiler:
                print(profiler.output_text(unicode=False, color=False, show_all=False))


def _profiler():
    from pyinstrument import Profiler

    return Profiler(interval=0.002)


if __name__ == "__main__":
    main()
