"""How the client commands show things in plain text: JSON, a job's details, one-line summaries, exit codes.

Rich output (tables, the progress bar) lives in tables.py and progress.py, imported only by the commands
that draw them, so that `--help` and `--version` never load rich (httpx, for any request, loads it anyway).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from batchsvc.client.client import Job

EXIT_COMPLETED, EXIT_FAILED, EXIT_ERROR, EXIT_CANCELED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
EXIT_BY_STATUS = {"completed": EXIT_COMPLETED, "failed": EXIT_FAILED, "canceled": EXIT_CANCELED}


def print_json(value) -> None:
    click.echo(json.dumps(value, indent=2, default=str))


def finish(job: Job) -> int:
    """One line on how the job ended (stdout when it completed, stderr otherwise); returns the exit code."""
    if job.status == "completed":
        result, took = job.result or {}, seconds_between(job.record["created_at"], job.record.get("finished_at"))
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
    """A job's record as aligned 'label: value' lines."""
    r, p = job.record, job.progress
    lines = [("id", r["id"]), ("name", r.get("name")), ("status", r["status"]),
             ("model", f"{r['model']['name']}@{r['model']['version']}"),
             ("progress", f"{p['rows_done']:,}/{number(p['rows_total'])} rows, "
                          f"{p['chunks_done']}/{number(p['chunks_total'])} chunks"),
             ("created", r["created_at"]), ("started", r.get("started_at")), ("finished", r.get("finished_at"))]
    if r.get("error"):
        lines.append(("error", f"{r['error'].get('type')}: {r['error'].get('message')}"))
    if r.get("result"):
        lines.append(("result", f"{r['result'].get('rows', 0):,} rows ({r['result'].get('bad_rows', 0)} bad), "
                                f"{r['result'].get('format')}"))
    for label, value in lines:
        if value is not None:
            click.echo(f"{label + ':':10} {value}")


def events_lines(events: list[dict]) -> None:
    """One line per event: time, event, then its details as key=JSON."""
    for e in events:
        details = {k: v for k, v in e.items() if k not in ("at", "event")}
        extra = " ".join(f"{k}={json.dumps(v, default=str)}" for k, v in details.items())
        click.echo(f"{e['at']}  {e['event']:<10} {extra}".rstrip())


def number(value) -> str:
    """A count with thousands separators, or '?' while unknown."""
    return "?" if value is None else f"{value:,}"


def seconds_between(start: str, end: str | None) -> float:
    """Seconds from one ISO timestamp to another; 0 while there is no end."""
    if not end:
        return 0.0
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
