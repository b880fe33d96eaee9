"""The client commands of `batchsvc`: models, submit, status, jobs, cancel, results, events.

They talk to BATCHSVC_API_URL (with BATCHSVC_API_KEY when set) through batchsvc.client; errors
reach the user as one line (cli.Cli), never a traceback. They start at once: httpx, rich (tables, the
progress bar) and the server's schedule files (`submit JOB_FILE`) are imported where they are used.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from batchsvc.cli import view
from batchsvc.cli.submit_body import job_body, send
from batchsvc.status import JobStatus

if TYPE_CHECKING:
    from batchsvc.client.client import Client

FORMATS = click.Choice(["parquet", "csv", "jsonl"])
STATUSES = click.Choice([s.value for s in JobStatus])

commands = click.Group()  # a holder: main.py copies these onto `batchsvc`


def url_option(f):
    return click.option("--url", envvar="BATCHSVC_API_URL", help="the API [env BATCHSVC_API_URL]")(f)


def json_option(f):
    return click.option("--json", "as_json", is_flag=True, help="print JSON for scripts")(f)


def connect(url: str | None) -> Client:
    """A client of the API at url (or BATCHSVC_API_URL); httpx is imported here, never for --help."""
    from batchsvc.client.client import Client

    return Client(url)


@commands.group()
def models() -> None:
    """Register and inspect models."""


@models.command("register")
@click.argument("name")
@click.argument("file", type=click.Path(exists=True))
@click.option("--alias", help="point this alias (e.g. production) at the new version")
@click.option("--description", default="", help="free text")
@click.option("--tags", default="", help="comma-separated")
@click.option("--force", is_flag=True, help="a new version even when the file is the latest version's (same sha256)")
@click.option("--baseline", type=click.Path(exists=True, dir_okay=False),
              help="training rows (CSV or Parquet) to check its jobs' input for drift against")
@url_option
@json_option
def models_register(name, file, alias, description, tags, force, baseline, url, as_json) -> None:
    """Register a joblib-saved estimator or pipeline (or a code model: a folder or zip with score.py and
    batchsvc.yaml) as NAME's next version."""
    with connect(url) as c:
        latest = _latest_version(c, name)
        meta = c.register_model(name, file, description=description, alias=alias, force=force, baseline=baseline,
                                tags=[t.strip() for t in tags.split(",") if t.strip()])
    if as_json:
        return view.print_json(meta)
    also = f", alias {alias}" if alias else ""
    kept = meta["version"] == latest
    verb = "unchanged (same sha256; --force for a new version):" if kept else "registered"
    click.echo(f"{verb} {meta['name']} version {meta['version']} ({meta['task']}, "
               f"{len(meta['features'])} features{also})" + ("; --baseline not applied" if kept and baseline else ""))


def _latest_version(c: Client, name: str) -> int | None:
    """The model's latest version number, None when it has none."""
    from batchsvc.client.errors import ClientError

    try:
        return c.get_model(name)["latest_version"]
    except ClientError as exc:
        if exc.status != 404:
            raise
        return None


@models.command("delete")
@click.argument("name")
@click.argument("version", type=click.IntRange(min=1))
@click.option("--yes", is_flag=True, help="do not ask")
@url_option
def models_delete(name, version, yes, url) -> None:
    """Remove VERSION of model NAME (and the aliases pointing at it)."""
    if not yes:
        click.confirm(f"delete {name} version {version}?", abort=True)
    with connect(url) as c:
        c.delete_version(name, version)
    click.echo(f"deleted {name} version {version}")


@models.command("alias")
@click.argument("name")
@click.argument("alias")
@click.argument("version", type=click.IntRange(min=1))
@url_option
def models_alias(name, alias, version, url) -> None:
    """Point ALIAS (e.g. production) of model NAME at VERSION."""
    with connect(url) as c:
        c.set_alias(name, alias, version)
    click.echo(f"{name}@{alias} -> version {version}")


@models.command("list")
@url_option
@json_option
def models_list(url, as_json) -> None:
    """List registered models."""
    from batchsvc.cli import tables

    fetch_and_show(url, as_json, lambda c: c.list_models(), tables.models_table)


@models.command("show")
@click.argument("name")
@url_option
@json_option
def models_show(name, url, as_json) -> None:
    """A model's versions and aliases."""
    from batchsvc.cli import tables

    fetch_and_show(url, as_json, lambda c: c.get_model(name), tables.model_detail)


@commands.command()
@click.argument("job_file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--model", "-m", help="name, name@3 or name@alias (may come from a --json body instead)")
@click.option("--input", "input_path", metavar="PATH",
              help="a CSV or Parquet file, folder/ or glob inside the server's data roots (a path or s3:// URL); "
                   "a file here outside them is uploaded")
@click.option("--upload", "upload_file", type=click.Path(exists=True, dir_okay=False),
              help="a local CSV (.csv.gz) or Parquet file, uploaded first")
@click.option("--json", "json_file", type=click.File("r"), metavar="FILE",
              help="inline input ({fields, values} or {records}) or a whole job body; - for stdin")
@click.option("--output-format", type=FORMATS)
@click.option("--passthrough", help="input columns to copy in front of the predictions, comma-separated, or *")
@click.option("--output-path", metavar="PATH", help="a folder or s3:// prefix that receives the completed result")
@click.option("--chunk-size", type=click.IntRange(min=1), help="rows per chunk")
@click.option("--max-bad-rows", type=click.IntRange(min=0), help="unreadable rows to skip before failing")
@click.option("--name", help="a label for the job")
@click.option("--idempotency-key", help="repeat-safe submission: the same key returns the first job")
@click.option("--wait", is_flag=True, help="show progress until the job finishes; exit 0 only if it completed")
@url_option
def submit(job_file, model, input_path, upload_file, json_file, output_format, passthrough, output_path, chunk_size,
           max_bad_rows, name, idempotency_key, wait, url) -> None:
    """Submit a scoring job and print its id; JOB_FILE is a jobs/ schedule file whose job runs once now."""
    with connect(url) as c:
        body = job_body(c, model, input_path, upload_file, json_file, job_file)
        options = {"chunk_size": chunk_size, "max_bad_rows": max_bad_rows, "name": name}
        body.update({k: v for k, v in options.items() if v is not None})
        output = body.setdefault("output", {})
        if output_format:
            output["format"] = output_format
        if passthrough:
            output["passthrough"] = ["*"] if passthrough == "*" else [p.strip() for p in passthrough.split(",")]
        if output_path:
            output["path"] = output_path
        job = send(c, body, idempotency_key)
        click.echo(job.id)
        if wait:
            _exit_with(_follow(job))


@commands.command()
@click.argument("job_id")
@click.option("--watch", is_flag=True, help="show progress until the job finishes; exit 0 only if it completed")
@url_option
@json_option
def status(job_id, watch, url, as_json) -> None:
    """A job's status and progress."""
    with connect(url) as c:
        job = c.get(job_id)
        if not watch:
            return view.print_json(job.record) if as_json else view.show_job(job)
        if as_json:
            _wait_quietly(job)
            view.print_json(job.record)
            _exit_with(view.EXIT_BY_STATUS[job.status])
        _exit_with(_follow(job))


@commands.command()
@click.option("--status", "status_", type=STATUSES, help="only jobs in this state")
@click.option("--model", help="only jobs of this model (its name)")
@click.option("--schedule", "schedule_id", help="only jobs a schedule submitted (its id)")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000))
@url_option
@json_option
def jobs(status_, model, schedule_id, limit, url, as_json) -> None:
    """Jobs, newest first, with their errors (times in this machine's zone)."""
    from batchsvc.cli import tables

    fetch_and_show(url, as_json, lambda c: c.list(status=status_, model=model, schedule_id=schedule_id, limit=limit),
          tables.jobs_table, lambda found: [j.record for j in found])


@commands.command("delete")
@click.argument("job_ids", nargs=-1, required=True, metavar="JOB_ID...")
@url_option
def delete(job_ids, url) -> None:
    """Remove finished jobs and their files."""
    with connect(url) as c:
        for job_id in job_ids:
            c.delete(job_id)
            click.echo(f"deleted {job_id}")


@commands.command()
@click.argument("job_id")
@url_option
@json_option
def cancel(job_id, url, as_json) -> None:
    """Cancel a queued or running job."""
    fetch_and_show(url, as_json, lambda c: c.cancel(job_id), lambda job: click.echo(f"{job.status} {job.id}"),
          lambda job: job.record)


@commands.command()
@click.argument("job_id")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="write to this file [default: stdout]")
@click.option("--format", "fmt", type=FORMATS,
              help="convert to this format [default: -o's extension (.parquet, .csv, .jsonl), else the job's]")
@click.option("--errors", is_flag=True, help="the skipped bad rows (JSON lines) instead of the predictions")
@url_option
def results(job_id, output, fmt, errors, url) -> None:
    """Download a completed job's predictions, streaming (never whole in memory); a terminal gets CSV."""
    with connect(url) as c:
        if output:
            fmt = None if errors else view.result_format(output, fmt)
            path = c.download(job_id, output, fmt, errors)
            click.echo(f"wrote {path}" + (f" ({fmt})" if fmt else ""), err=True)
        else:
            stdout = sys.stdout.buffer  # click.get_binary_stream is deprecated in Click 8.5, gone in 9
            if not errors and stdout.isatty():  # never binary Parquet into a terminal
                fmt = view.terminal_format(fmt, lambda: (c.get(job_id).result or {}).get("format"))
            c.stream_results(job_id, stdout.write, fmt, errors)
            stdout.flush()


@commands.command()
@click.argument("job_id")
@url_option
@json_option
def events(job_id, url, as_json) -> None:
    """A job's log: state changes, chunk timings, errors."""
    fetch_and_show(url, as_json, lambda c: c.events(job_id), view.events_lines)


def fetch_and_show(url, as_json: bool, fetch, show, as_data=lambda found: found) -> None:
    """Fetch something with a client, then print it as JSON (--json) or for people."""
    with connect(url) as c:
        found = fetch(c)
    view.print_json(as_data(found)) if as_json else show(found)


def _follow(job) -> int:
    """Progress bar, then the one-line summary; returns the exit code. Ctrl-C leaves the job running."""
    from batchsvc.cli import progress

    try:
        progress.follow(job)
    except KeyboardInterrupt:
        click.echo(f"\nstopped watching; job {job.id} goes on: batchsvc status {job.id} --watch", err=True)
        return view.EXIT_INTERRUPTED
    return view.finish(job)


def _wait_quietly(job) -> None:
    """Wait for the job to finish, failed or not; other client errors (no answer) still raise."""
    from batchsvc.client.errors import ClientError

    try:
        job.wait()
    except ClientError as exc:
        if not hasattr(exc, "job"):
            raise


def _exit_with(code: int) -> None:
    sys.exit(code)
