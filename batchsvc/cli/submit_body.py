"""What `batchsvc submit` sends: the job body from --input, --upload, --json or a jobs/ schedule file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from batchsvc.client.client import Client


def job_body(c: Client, model, input_path, upload_file, json_file, job_file) -> dict:
    """The POST /v1/jobs body from exactly one input source and a model (a flag, or named by the source)."""
    given = [x for x in (input_path, upload_file, json_file, job_file) if x is not None]
    if len(given) != 1:
        raise click.UsageError("give exactly one of --input PATH, --upload FILE, --json FILE or a jobs/ FILE")
    body: dict = {}
    if job_file:
        body = _from_job_file(job_file)
    elif input_path:
        body["input"] = {"path": _as_sent(input_path)}
    elif upload_file:
        body["input"] = {"upload": c.upload(upload_file)["upload"]}
    else:
        body = _read_json(json_file)
    if model:
        body["model"] = model
    if not body.get("model"):
        raise click.UsageError("give --model (or a \"model\" in the --json body)")
    return body


def _as_sent(path: str) -> str:
    """A path that exists here, absolute (a relative one means this folder, not the server's); else as given."""
    return str(Path(path).absolute()) if "://" not in path and Path(path).exists() else path


def send(c: Client, body: dict, idempotency_key: str | None):
    """Submit the body; an --input file here that the server may not read (outside its data roots: another
    machine, or a folder it does not share) is uploaded instead, and stderr says so."""
    from batchsvc.client.errors import ClientError

    try:
        return c.submit_body(body, idempotency_key)
    except ClientError as exc:
        path = body.get("input", {}).get("path")
        if exc.error.get("type") != "PathNotAllowed" or not path or not Path(path).is_file():
            raise
        upload = c.upload(path)
        click.echo(f"{path} is outside the server's data roots: uploaded it instead (upload {upload['upload']}, "
                   f"{upload['bytes']:,} bytes)", err=True)
        return c.submit_body({**body, "input": {"upload": upload["upload"]}}, idempotency_key)


def _from_job_file(path: Path) -> dict:
    """The job of a jobs/ schedule file, with {date}, {datetime} and {schedule} filled for now.

    The only client path that needs the server's schedule and request models (and so pydantic, pandas).
    """
    from pydantic import ValidationError

    from batchsvc.clock import now
    from batchsvc.scheduling import files as schedule_files
    from batchsvc.scheduling import templates as job_templates
    from batchsvc.schemas import problems

    data = schedule_files.load_file(path)
    try:
        request = job_templates.fill(data.get("job") or {}, str(data.get("name") or path.stem), now(),
                                     str(data.get("timezone") or "UTC"))
    except ValidationError as exc:
        problem = problems(exc)[0]
        raise click.BadParameter(f"{path}: job.{problem['field']}: {problem['message']}",
                                 param_hint="JOB_FILE") from None
    return request.model_dump(mode="json", exclude_none=True)


def _read_json(f) -> dict:
    """A --json file: a whole job body (it has "input"), or the inline input alone."""
    try:
        data = json.load(f)
    except ValueError as exc:
        raise click.BadParameter(f"{f.name} is not JSON: {exc}", param_hint="--json") from None
    if not isinstance(data, dict):
        raise click.BadParameter(f"{f.name} must hold a JSON object", param_hint="--json")
    return data if "input" in data else {"input": data}
