"""Where a job's time goes, step by step, per engine: read, score (checks, feed, model), part write, assemble.

In process, one thread, the worker's own functions (filesets.read_chunk, score_table, PartWriter, assemble)
over a generated Parquet or CSV of ROWS rows cut into chunks as a job would be, without Redis. Prints CPU seconds
per step (process time: a busy machine slows the wall clock, not these) and each step's share; --pyinstrument also
prints pyinstrument's call tree of the whole run.

  python scripts/profile_chunk.py [--rows 1000000] [--format parquet|csv] [--output parquet|csv] [--pyinstrument]

--trees instead prints where a RandomForest credit pipeline's model time goes per 100k rows (CPU ms, best of 3,
one thread): scikit-learn's whole pipeline, its preprocessing alone, its forest alone, the pipeline as one onnx
graph (string one-hot in it), the onnx engine (one-hot matrix in numpy, onehot.py, and the trees alone) and its
matrix alone, and the forest alone in onnxruntime; then a 200k-row job's steps with each; --tl2cgen adds the
forest compiled by treelite + tl2cgen with gcc (if both are installed; not a dependency), its compile time and
how far its probabilities are from scikit-learn's.
"""

import argparse
import io
import os
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from batchsvc.scoring import filesets, parts  # noqa: E402
from batchsvc.scoring.engines.onnx import OnnxEngine, compile_onnx  # noqa: E402
from batchsvc.scoring.engines.sklearn import SklearnEngine  # noqa: E402
from batchsvc.scoring.modelinfo import inspect_model  # noqa: E402
from batchsvc.scoring.sample import FIELDS, make_credit_risk, train_credit_risk  # noqa: E402
from batchsvc.scoring.score import score_table  # noqa: E402
from batchsvc.scoring.sources import FileSource  # noqa: E402

CHUNK_ROWS = 50_000
TREE_ROWS = 100_000  # --trees: rows per measurement
TREE_JOB_ROWS = 200_000  # --trees: rows of the job profiled step by step per engine
BEST_OF = 3  # --trees: runs per measurement, the least CPU kept
PASSTHROUGH = ["CustomerID"]


def profile(engine, info, source: FileSource, out_format: str) -> dict:
    """Seconds per step over every chunk of the file, then the assembly of the parts."""
    spent: dict = defaultdict(float)
    plan = filesets.plan_files([source], CHUNK_ROWS, explicit=False)
    written: list[bytes] = []
    clock = time.process_time()

    def lap(step: str) -> None:
        nonlocal clock
        now = time.process_time()
        spent[step] += now - clock
        clock = now

    for chunk in plan.chunks:
        sink = io.BytesIO()
        writer = parts.part_writer(sink, out_format)
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
        written.append(sink.getvalue())
        lap("part write")
    result = io.BytesIO()
    parts.assemble([_opener(p) for p in written], out_format, result)
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
    parser.add_argument("--trees", action="store_true", help="the forest's model time per 100k rows, by part")
    parser.add_argument("--tl2cgen", action="store_true", help="with --trees: also a tl2cgen-compiled forest")
    args = parser.parse_args()
    if args.trees:
        profile_trees(args.tl2cgen)
        return
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


def cpu_ms(work: Callable[[], object]) -> float:
    """The least CPU milliseconds of BEST_OF runs of work()."""
    best = float("inf")
    for _ in range(BEST_OF):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return 1000 * best


def profile_trees(with_tl2cgen: bool) -> None:
    """--trees: the model time of the bench's forest pipeline, split into its parts, per engine; then a job's steps."""
    from bench_scoring import train  # the bench's own forest

    model = train("forest")
    info = inspect_model(model)
    data = make_credit_risk(TREE_ROWS, seed=5)[FIELDS]
    encoded, forest = model[:-1].transform(data), model[-1]
    onnx = OnnxEngine(compile_onnx(model, info), info, {})
    whole = OnnxEngine(_whole_graph(model, info), info, {})
    assert onnx.onehot is not None
    batch = _dictionary_batch(data)
    alone = _onnx_forest(forest, encoded)
    parts = {"scikit-learn, whole pipeline": lambda: SklearnEngine(model, info).predict(data),
             "scikit-learn, preprocessing only": lambda: model[:-1].transform(data),
             "scikit-learn, forest only": lambda: forest.predict_proba(encoded),
             "onnx, whole graph (string one-hot in it)": lambda: whole.predict(data),
             "onnx engine: numpy one-hot + trees alone": lambda: onnx.predict(data),
             "  the same from Parquet dictionaries": lambda: onnx.predict(batch),
             "  its matrix only, from a frame": lambda: onnx.onehot.matrix(data),
             "  its matrix only, from dictionaries": lambda: onnx.onehot.matrix(batch),
             "onnxruntime, forest only (float32 matrix)": alone}
    print(f"RandomForest credit pipeline ({len(forest.estimators_)} trees, depth {forest.max_depth}, "
          f"{encoded.shape[1]} encoded columns): CPU ms per {TREE_ROWS:,} rows, best of {BEST_OF}")
    for name, work in parts.items():
        print(f"  {name:44s} {cpu_ms(work):7.0f}", flush=True)
    if with_tl2cgen:
        _tl2cgen(forest, encoded)
    _tree_job(model, info)


def _tree_job(model, info) -> None:
    """The forest's job, step by step, with each engine (and the whole graph), over JOB_ROWS Parquet rows."""
    engines = [SklearnEngine(model, info), OnnxEngine(_whole_graph(model, info), info, {}),
               OnnxEngine(compile_onnx(model, info), info, {})]
    with tempfile.TemporaryDirectory() as tmp:
        source = credit_file(Path(tmp), TREE_JOB_ROWS, "parquet")
        for label, engine in zip(("sklearn", "onnx, whole graph", "onnx engine"), engines):
            spent = profile(engine, info, source, "parquet")
            steps = ", ".join(f"{step.split(' (')[0]} {seconds:.3f}" for step, seconds in spent.items())
            print(f"  job of {TREE_JOB_ROWS:,} rows, {label}: {sum(spent.values()):.2f} CPU s ({steps})", flush=True)


def _whole_graph(model, info) -> bytes:
    """The forest pipeline as one graph, string one-hot included (the engine before onehot.py), exact thresholds."""
    from skl2onnx import to_onnx

    from batchsvc.scoring.engines.onnx import input_types
    from batchsvc.scoring.engines.trees import float32_trees, make_exact

    graph = to_onnx(model, initial_types=input_types(info, double=True), options={id(model): {"zipmap": False}})
    make_exact(graph, float32_trees(model))
    return graph.SerializeToString()


def _dictionary_batch(data):
    """The rows as a Parquet read gives them to the engine: text as dictionaries."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(data, preserve_index=False), sink)
    table = pq.read_table(io.BytesIO(sink.getvalue()), read_dictionary=_text_columns(data))
    return table.combine_chunks().to_batches()[0]


def _text_columns(data) -> list[str]:
    return [c for c in data.columns if data[c].dtype == object]


def _onnx_forest(forest, encoded: np.ndarray) -> Callable[[], object]:
    """The forest alone as an onnxruntime session over a float32 matrix (skl2onnx's own conversion)."""
    import onnxruntime as ort
    from skl2onnx import to_onnx

    graph = to_onnx(forest, encoded[:1].astype(np.float32), options={id(forest): {"zipmap": False}})
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(graph.SerializeToString(), options, providers=["CPUExecutionProvider"])
    matrix = np.ascontiguousarray(encoded, dtype=np.float32)
    return lambda: session.run(["probabilities"], {"X": matrix})


def _tl2cgen(forest, encoded: np.ndarray) -> None:
    """The forest compiled to a shared library by treelite + tl2cgen (gcc): its time, compile time and error."""
    try:
        import tl2cgen
        import treelite
    except ImportError:
        print("  tl2cgen: not installed (pip install treelite tl2cgen)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        library = f"{tmp}/forest.so"
        tl2cgen.export_lib(treelite.sklearn.import_model(forest), toolchain="gcc", libpath=library,
                           params={"parallel_comp": os.cpu_count() or 1}, nthread=os.cpu_count() or 1)
        compiled_s = time.monotonic() - started
        predictor = tl2cgen.Predictor(library, nthread=1)
        matrix = tl2cgen.DMatrix(np.ascontiguousarray(encoded, dtype=np.float64), dtype="float64")
        proba = np.asarray(predictor.predict(matrix)).reshape(len(encoded), -1)
        print(f"  {'tl2cgen, forest only (float64 matrix)':44s} {cpu_ms(lambda: predictor.predict(matrix)):7.0f}"
              f"  (compiled in {compiled_s:.0f} s)")
        exact = forest.predict_proba(encoded)
        print(f"    its probabilities vs scikit-learn's: max difference {np.abs(proba - exact).max():.3g}, labels "
              f"equal on {np.mean(proba.argmax(1) == exact.argmax(1)):.4%} of rows")


def _profiler():
    from pyinstrument import Profiler

    return Profiler(interval=0.002)


if __name__ == "__main__":
    main()
