"""`batchsvc deployments`: create, list, show, logs, delete, and predict with a deployment, over the API.

Like the other client commands they start at once: httpx and rich are imported when a command runs, and a CSV
is read with the csv module (no pandas on the client side).
"""

from __future__ import annotations

import csv
from pathlib import Path

import click

from batchsvc.cli import rollout, view
from batchsvc.cli.commands import connect, fetch_and_show, json_option, url_option


@click.group()
def deployments() -> None:
    """Online deployments: a stable name and scoring URL over a model; predict with one."""


@deployments.command("create")
@click.argument("name")
@click.option("--model", "-m", required=True, help="name, name@3 or name@alias (an alias is followed as it moves)")
@click.option("--description", default="", help="free text")
@click.option("--engine", type=click.Choice(["auto", "sklearn"]), help="sklearn forces the exact path [default: auto]")
@click.option("--capture", type=click.FloatRange(0, 100), help="percent of requests to capture (docs/captures.md)")
@url_option
@json_option
def deployments_create(name, model, description, engine, capture, url, as_json) -> None:
    """Deploy MODEL under NAME; prints its state and scoring URL."""
    fetch_and_show(url, as_json, lambda c: c.create_deployment(name, model, description, engine, capture),
                   show_deployment)


@deployments.command("list")
@url_option
@json_option
def deployments_list(url, as_json) -> None:
    """Every deployment: state, the version it serves, requests and errors, scoring URL."""
    from batchsvc.cli import tables

    fetch_and_show(url, as_json, lambda c: c.deployments(), tables.deployments_table)


@deployments.command("show")
@click.argument("name")
@url_option
@json_option
def deployments_show(name, url, as_json) -> None:
    """A deployment's record: state (and why it failed), served version, counters, scoring URL."""
    fetch_and_show(url, as_json, lambda c: c.deployment(name), show_deployment)


@deployments.command("logs")
@click.argument("name")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@url_option
@json_option
def deployments_logs(name, limit, url, as_json) -> None:
    """A deployment's latest requests, newest first (times in this machine's zone), with their errors."""
    from batchsvc.cli import tables

    fetch_and_show(url, as_json, lambda c: c.deployment_logs(name, limit), tables.logs_table)


@deployments.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="do not ask")
@url_option
def deployments_delete(name, yes, url) -> None:
    """Remove deployment NAME (its model stays registered)."""
    if not yes:
        click.confirm(f"delete deployment {name}?", abort=True)
    with connect(url) as c:
        c.delete_deployment(name)
    click.echo(f"deleted deployment {name}")


@deployments.command("predict")
@click.argument("name")
@click.option("--input", "input_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="a CSV file here with a header row: every row is scored")
@click.option("--record", "-r", "pairs", multiple=True, metavar="FIELD=VALUE",
              help="one feature of a single row; repeat for each feature")
@url_option
@json_option
def deployments_predict(name, input_file, pairs, url, as_json) -> None:
    """Score rows now with deployment NAME and print the answer as a table (--json: the API's answer)."""
    from batchsvc.cli import tables

    if bool(input_file) == bool(pairs):
        raise click.UsageError("give either --input FILE.csv or --record FIELD=VALUE (repeated)")
    fields, rows = _read_csv(input_file) if input_file else _read_pairs(pairs)
    with connect(url) as c:
        version = _serving_version(c, name)
        numeric = set(version.get("numeric_features") or ())
        typed = [[_typed(v) if f in numeric else v for f, v in zip(fields, row)] for row in rows]
        answer = c.predict(name, fields, typed)
    view.print_json(answer) if as_json else tables.predictions_table(answer, version.get("classes"))


for _command in (rollout.traffic, rollout.shadow, rollout.history):  # traffic split, shadow, history: cli/rollout.py
    deployments.add_command(_command)


def show_deployment(d: dict) -> None:
    """A deployment as aligned 'label: value' lines."""
    serving = d.get("serving")
    counters = d["counters"]
    split = d.get("traffic") and ", ".join(f"{ref} {weight}%" for ref, weight in d["traffic"].items())
    shadow = d.get("shadow") and f"{d['shadow']['model']} on {d['shadow']['percent']}% of requests"
    lines = [("name", d["name"]), ("id", d["id"]), ("state", d["state"] + (f": {d['reason']}" if d.get("reason")
             else "")), ("model", d["model"]), ("serving", f"{serving['name']}@{serving['version']}" if serving
             else "nothing"), ("engine", d.get("engine") or "auto"), ("scoring", f"POST {d['scoring_url']}"),
             ("requests", f"{counters['requests']:,} ({counters['rows']:,} rows, {counters['errors']:,} errors)"),
             ("capture", f"{d['capture']['percent']:g}% of requests" if d.get("capture") else None),
             ("created", view.local_time(d["created_at"])), ("description", d.get("description") or None),
             ("traffic", split or None), ("shadow", shadow or None)]
    for label, value in lines:
        if value is not None:
            click.echo(f"{label + ':':13} {value}")


def _serving_version(c, name: str) -> dict:
    """The model version the deployment serves now (its features' types and its classes)."""
    serving = c.deployment(name).get("serving") or {}
    if not serving:
        return {}
    model = c.get_model(serving["name"])
    return next((v for v in model["versions"] if v["version"] == serving["version"]), {})


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        try:
            fields = next(reader)
        except StopIteration:
            raise click.BadParameter(f"{path} is empty: it needs a header row", param_hint="--input") from None
        rows = [row for row in reader if row]
    if not rows:
        raise click.BadParameter(f"{path} has a header but no rows", param_hint="--input")
    return fields, rows


def _read_pairs(pairs: tuple[str, ...]) -> tuple[list[str], list[list[str]]]:
    fields, values = [], []
    for pair in pairs:
        field, sep, value = pair.partition("=")
        if not sep or not field:
            raise click.BadParameter(f"{pair!r} is not FIELD=VALUE", param_hint="--record")
        fields.append(field)
        values.append(value)
    return fields, [values]


def _typed(text: str) -> int | float | str | None:
    """A numeric feature's CSV text as a JSON number (empty: missing); what is not a number goes as it is, for
    the server to name."""
    if text.strip() == "":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text
