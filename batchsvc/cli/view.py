"""How the client commands show things: JSON, rich tables, the live progress bar, one-line summaries."""

import json
from datetime import datetime

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, SpinnerColumn, TextColumn, TimeRemainingColumn
from rich.table import Column, Table
from rich.text import Text

from batchsvc.client.client import Job
from batchsvc.client.errors import JobFailed

EXIT_COMPLETED, EXIT_FAILED, EXIT_ERROR, EXIT_CANCELED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
EXIT_BY_STATUS = {"completed": EXIT_COMPLETED, "failed": EXIT_FAILED, "canceled": EXIT_CANCELED}


BAR_WIDTH = 16  # the whole line fits 80 columns with 7-digit row counts
PIPED_WIDTH = 160  # columns for tables written to a file or pipe (rich assumes 80)


def out() -> Console:
    console = Console(highlight=False)
    if not console.is_terminal:
        console.width = PIPED_WIDTH
    return console


def err() -> Console:
    return Console(stderr=True, highlight=False)


def print_json(value) -> None:
    click.echo(json.dumps(value, indent=2, default=str))


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
    with Progress(*columns, console=err()) as progress:
        task = progress.add_task(job.status, total=None)

        def show(j: Job) -> None:
            p = j.progress
            progress.update(task, description=j.status, completed=p["rows_done"],
                            total=p["rows_total"])

        try:
            job.wait(on_progress=show)
        except JobFailed:
            pass
    return job


def finish(job: Job) -> int:
    """One line on how the job ended (stdout when it completed, stderr otherwise); returns the exit code."""
    if job.status == "completed":
        result, took = job.result or {}, _seconds(job.record["created_at"], job.record.get("finished_at"))
        fmt = result.get("format", "parquet")
        click.echo(f"completed {job.id}: {result.get('rows', 0):,} rows ({result.get('bad_rows', 0)} bad) "
                   f"in {took:.2f} s; fetch with: batchsvc results {job.id} -o results.{fmt}")
    elif job.status == "failed":
        error = job.error or {}
        click.echo(f"failed {job.id}: {error.get('type', 'Error')}: {error.get('message', '')}", err=True)
    else:
        click.echo(f"{job.status} {job.id}", err=True)
    return EXIT_BY_STATUS.get(job.status, EXIT_ERROR)


def show_job(job: Job) -> None:
    r, p = job.record, job.progress
    lines = [("id", r["id"]), ("name", r.get("name")), ("status", r["status"]),
             ("model", f"{r['model']['name']}@{r['model']['version']}"),
             ("progress", f"{p['rows_done']:,}/{_n(p['rows_total'])} rows, "
                          f"{p['chunks_done']}/{_n(p['chunks_total'])} chunks"),
             ("created", r["created_at"]), ("started", r.get("started_at")), ("finished", r.get("finished_at"))]
    if r.get("error"):
        lines.append(("error", f"{r['error'].get('type')}: {r['error'].get('message')}"))
    if r.get("result"):
        lines.append(("result", f"{r['result'].get('rows', 0):,} rows ({r['result'].get('bad_rows', 0)} bad), "
                                f"{r['result'].get('format')}"))
    for label, value in lines:
        if value is not None:
            click.echo(f"{label + ':':10} {value}")


def jobs_table(jobs: list[Job]) -> None:
    table = Table("NAME", "STATUS", "MODEL", "ROWS", "CREATED", "SECONDS")
    table.columns.insert(0, Column("ID", no_wrap=True, min_width=32))  # ids are for copying: never cut
    for job in jobs:
        r, p = job.record, job.progress
        took = _seconds(r["created_at"], r.get("finished_at"))
        model = f"{r['model']['name']}@{r['model']['version']}"
        table.add_row(r["id"], r.get("name") or "", _status(r["status"]), model,
                      f"{p['rows_done']:,}/{_n(p['rows_total'])}", r["created_at"][:19].replace("T", " "),
                      f"{took:.2f}" if r.get("finished_at") else "")
    out().print(table)


def models_table(models: list[dict]) -> None:
    table = Table("NAME", "LATEST", "TASK", "ALIASES", "VERSIONS", "UPDATED")
    for m in models:
        aliases = ", ".join(f"{a}→{v}" for a, v in sorted(m["aliases"].items()))
        table.add_row(m["name"], str(m["latest_version"]), m["task"], aliases, str(m["versions"]), m["updated_at"])
    out().print(table)


def model_detail(model: dict) -> None:
    aliases = ", ".join(f"{a}→{v}" for a, v in sorted(model["aliases"].items())) or "none"
    click.echo(f"{model['name']}: latest version {model['latest_version']}; aliases: {aliases}")
    table = Table("VERSION", "TASK", "FEATURES", "CLASSES", "SHA256", "CREATED", "DESCRIPTION")
    for v in model["versions"]:
        table.add_row(str(v["version"]), v["task"], str(len(v["features"])),
                      ", ".join(map(str, v["classes"] or [])), v["sha256"][:12], v["created_at"], v["description"])
    out().print(table)


def events_lines(events: list[dict]) -> None:
    for e in events:
        details = {k: v for k, v in e.items() if k not in ("at", "event")}
        extra = " ".join(f"{k}={json.dumps(v, default=str)}" for k, v in details.items())
        click.echo(f"{e['at']}  {e['event']:<10} {extra}".rstrip())


def _status(status: str) -> Text:
    colours = {"completed": "green", "failed": "red", "canceled": "yellow", "running": "cyan"}
    return Text(status, style=colours.get(status, ""))


def _n(value) -> str:
    return "?" if value is None else f"{value:,}"


def _seconds(start: str, end: str | None) -> float:
    if not end:
        return 0.0
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
