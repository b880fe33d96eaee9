"""Input files for client-side tests: big enough that a job runs for a moment, written once per run."""

from pathlib import Path

from batchsvc.scoring.sample import make_credit_risk

LONG_JOB_ROWS = 200_000
LONG_JOB_CHUNK_ROWS = 10_000  # 20 chunks: progress moves, and the job runs for about a second


def credit_parquet(directory: Path, rows: int = LONG_JOB_ROWS) -> Path:
    """A credit-risk table with CustomerID, as Parquet under a data root."""
    path = directory / f"credit-{rows}.parquet"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        make_credit_risk(rows, seed=11).to_parquet(tmp, index=False)
        tmp.replace(path)
    return path


def long_job(model: str, path: Path) -> dict:
    """A job body that scores the file in many chunks."""
    return {"model": model, "input": {"path": str(path)}, "chunk_size": LONG_JOB_CHUNK_ROWS}
