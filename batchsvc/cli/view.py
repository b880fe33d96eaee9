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

# Exit codes (README "Client side"): 0 completed or done, 1 the job failed, 2 server error or no answer,
# 3 the job was canceled, 4 the request was refused (HTTP 4xx: bad input, unknown id, no or wrong key), 130 Ctrl-C.
EXIT_COMPLETED, EXIT_FAILED, EXIT_ERROR, EXIT_CANCELED, EXIT_REFUSED, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
EXIT_BY_STATUS = {"completed": EXIT_COMPLETED, "failed": EXIT_FAILED, "canceled": EXIT_CANCELED}


def exit_code(exc: Exception) -> int:
    """EXIT_REFUSED for an error the server answered with a 4xx, else EXIT_ERROR (5xx, no answer, a setting)."""
    status = getattr(exc, "status", None)
    return EXIT_REFUSED if isinstance(status, int) and 400 <= status < 500 else EXIT_ERROR


def local_time(iso: str | None) -> str:
    """An API timestamp (UTC) in this machine's zone, labelled: '2026-03-01 14:02:07 CET'; '' for none."""
    if not iso:
        return ""
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")

SUFFIX_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


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
        click.echo(f"failed {job.id}: {error_line(job.error or {'message': 'no error recorded'})}", err=True)
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
             ("created", local_time(r["created_at"])), ("started", local_time(r.get("started_at")) or None),
             ("finished", local_time(r.get("finished_at")) or None)]
    if r.get("error"):
        lines.append(("error", error_line(r["error"])))
    if r.get("result"):
        lines.append(("result", f"{r['result'].get('rows', 0):,} rows ({r['result'].get('bad_rows', 0)} bad), "
                                f"{r['result'].get('format')}"))
    for label, value in lines:
        if value is not None:
            click.echo(f"{label + ':':10} {value}")


def error_line(error: dict | None) -> str:
    """'SchemaError: input lacks columns: Age (column Age, line 12)'; '' for none."""
    if not error:
        return ""
    where = ", ".join(f"{k} {error[k]}" for k in ("column", "line", "row") if error.get(k) is not None)
    return f"{error.get('type', 'Error')}: {error.get('message', '')}" + (f" ({where})" if where else "")


def events_lines(events: list[dict]) -> None:
    """One line per event: local time, event, then its details as key=JSON."""
    for e in events:
        details = {k: v for k, v in e.items() if k not in ("at", "event")}
        extra = " ".join(f"{k}={json.dumps(v, default=str)}" for k, v in details.items())
        click.echo(f"{local_time(e['at'])}  {e['event']:<14} {extra}".rstrip())


def number(value) -> str:
    """A count with thousands separators, or '?' while unknown."""
    return "?" if value is None else f"{value:,}"


def seconds_between(start: str, end: str | None) -> float:
    """Seconds from one ISO timestamp to another; 0 while there is no end."""
    if not end:
        return 0.0
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def result_format(path: str | None, asked: str | None) -> str | None:
    """The format to download: --format, else the output file's extension, else None (the job's own)."""
    if asked or not path:
        return asked
    name = path.lower().removesuffix(".gz")
    return next((fmt for ext, fmt in SUFFIX_FORMATS.items() if name.endswith(ext)), None)


def terminal_format(asked: str | None, stored) -> str:
    """The format to print results in on a terminal: what was asked, or the job's own unless it is Parquet
    (binary), which is shown as CSV instead; --format parquet to a terminal is refused."""
    if asked == "parquet":
        raise click.UsageError("Parquet is binary: write it to a file (-o results.parquet) or pipe it; "
                               "--format csv or jsonl prints it here")
    if asked:
        return asked
    own = stored()
    if own in ("csv", "jsonl"):
        return own
    click.echo("(the results are Parquet, binary: shown here as CSV; -o results.parquet writes the file)", err=True)
    return "csv"
