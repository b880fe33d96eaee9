"""The live progress bar of `submit --wait` and `status --watch`, drawn by rich on stderr."""

from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, SpinnerColumn, TextColumn, TimeRemainingColumn
from rich.table import Column
from rich.text import Text

from batchsvc.client.client import Job
from batchsvc.client.errors import JobFailed

BAR_WIDTH = 16  # the whole line fits 80 columns with 7-digit row counts


class RowsColumn(ProgressColumn):
    """'12,500/50,000 rows'."""

    def render(self, task) -> Text:
        total = f"{int(task.total):,}" if task.total is not None else "?"
        return Text(f"{int(task.completed):,}/{total} rows")


class RateColumn(ProgressColumn):
    """Rows per second over rich's recent samples."""

    def render(self, task) -> Text:
        return Text(f"{task.speed:,.0f} rows/s" if task.speed else "- rows/s")


def follow(job: Job) -> Job:
    """A live progress bar (on stderr) until the job finishes; returns the final job, whatever its status."""
    fixed = {"table_column": Column(no_wrap=True)}
    columns = (SpinnerColumn(), TextColumn("{task.description:<9}"), BarColumn(bar_width=BAR_WIDTH),
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
    return job
