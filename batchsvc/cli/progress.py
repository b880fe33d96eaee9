"""The live progress bar of `submit --wait` and `status --watch`, drawn by rich on stderr."""

from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, SpinnerColumn, TextColumn, TimeRemainingColumn
from rich.table import Column
from rich.text import Text

from batchsvc.cli.view import seconds_between
from batchsvc.client.client import Job
from batchsvc.client.errors import JobFailed

BAR_WIDTH = 16  # the whole line fits 80 columns with 7-digit row counts
MARKS = {"completed": "✓", "failed": "✕", "canceled": "⊘"}  # shown instead of the spinner once the job ends


class MarkColumn(SpinnerColumn):
    """A spinner while the job runs, then its end's mark (never a frozen spinner frame)."""

    def render(self, task):
        mark = task.fields.get("mark")
        return Text(mark) if mark else super().render(task)


class RowsColumn(ProgressColumn):
    """'12,500/50,000 rows'."""

    def render(self, task) -> Text:
        total = f"{int(task.total):,}" if task.total is not None else "?"
        return Text(f"{int(task.completed):,}/{total} rows")


class RateColumn(ProgressColumn):
    """Rows per second: rich's recent samples while it runs, the whole run's average once it ended."""

    def render(self, task) -> Text:
        speed = task.fields.get("average") or task.speed
        return Text(f"{speed:,.0f} rows/s" if speed else "")


def follow(job: Job) -> Job:
    """A live progress bar (on stderr) until the job finishes; returns the final job, whatever its status."""
    fixed = {"table_column": Column(no_wrap=True)}
    columns = (MarkColumn(), TextColumn("{task.description:<9}"), BarColumn(bar_width=BAR_WIDTH),
               RowsColumn(**fixed), RateColumn(**fixed), TextColumn("ETA"), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True, highlight=False)) as progress:
        task = progress.add_task(job.status, total=None)

        def show(j: Job) -> None:
            p = j.progress
            progress.update(task, description=j.status, completed=p["rows_done"], total=p["rows_total"])

        try:
            job.wait(on_progress=show)
        except JobFailed:
            pass
        progress.update(task, **final_state(job))
    return job


def final_state(job: Job) -> dict:
    """The bar's last frame: the end's mark, a full bar for a completed job (bad rows count as handled)
    and the whole run's rows per second."""
    p, r = job.progress, job.record
    done = p["rows_done"] + ((job.result or {}).get("bad_rows") or 0)
    total = p["rows_total"] if p["rows_total"] is not None else done
    seconds = seconds_between(r.get("started_at") or r["created_at"], r.get("finished_at"))
    state = {"description": job.status, "mark": MARKS.get(job.status, "•"), "total": total,
             "completed": total if job.status == "completed" else min(done, total),
             "average": p["rows_done"] / seconds if seconds > 0 else None}
    return state
