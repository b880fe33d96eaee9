"""Rich tables for the client commands: jobs, models, a model's versions."""

import click
from rich.console import Console
from rich.table import Column, Table
from rich.text import Text

from batchsvc.cli.view import error_line, local_time, number, seconds_between
from batchsvc.client.client import Job

PIPED_WIDTH = 160  # columns for tables written to a file or pipe (rich assumes 80)


def out() -> Console:
    """A console on stdout, wide enough for whole ids when piped."""
    console = Console(highlight=False)
    if not console.is_terminal:
        console.width = PIPED_WIDTH
    return console


ERROR_WIDTH = 60  # characters of a job's error shown in the table (all of it: batchsvc status ID)


def jobs_table(jobs: list[Job]) -> None:
    table = Table("NAME", "STATUS", Column("MODEL", no_wrap=True), "ROWS", Column("CREATED", no_wrap=True),
                  "SECONDS", Column("ERROR", max_width=ERROR_WIDTH, no_wrap=True, overflow="ellipsis"))
    table.columns.insert(0, Column("ID", no_wrap=True, min_width=32))  # ids are for copying: never cut
    for job in jobs:
        r, p = job.record, job.progress
        took = seconds_between(r["created_at"], r.get("finished_at"))
        model = f"{r['model']['name']}@{r['model']['version']}"
        table.add_row(r["id"], r.get("name") or "", _status(r["status"]), model,
                      f"{p['rows_done']:,}/{number(p['rows_total'])}", local_time(r["created_at"]),
                      f"{took:.2f}" if r.get("finished_at") else "", error_line(r.get("error")))
    out().print(table)


def schedules_table(schedules: list[dict]) -> None:
    table = Table(Column("ID", no_wrap=True), "NAME", "WHEN", "TIMEZONE", "STATE", Column("NEXT RUN", no_wrap=True),
                  Column("LAST RUN", no_wrap=True), Column("LAST JOB", no_wrap=True))
    for s in schedules:
        state = "active" if s["enabled"] else "paused"
        table.add_row(s["id"], s["name"], s["cron"] or f"every {s['interval_s']:,} s", s["timezone"], state,
                      local_time(s["next_run_at"]), local_time(s["last_run_at"]), s["last_job_id"] or "")
    out().print(table)


def models_table(models: list[dict]) -> None:
    table = Table("NAME", "LATEST", "TASK", "ALIASES", "VERSIONS", "UPDATED")
    for m in models:
        aliases = ", ".join(f"{a}→{v}" for a, v in sorted(m["aliases"].items()))
        table.add_row(m["name"], str(m["latest_version"]), m["task"], aliases, str(m["versions"]),
                      local_time(m["updated_at"]))
    out().print(table)


def model_detail(model: dict) -> None:
    aliases = ", ".join(f"{a}→{v}" for a, v in sorted(model["aliases"].items())) or "none"
    click.echo(f"{model['name']}: latest version {model['latest_version']}; aliases: {aliases}")
    table = Table("VERSION", "TASK", "FEATURES", "CLASSES", "SHA256", "CREATED", "DESCRIPTION")
    for v in model["versions"]:
        table.add_row(str(v["version"]), v["task"], str(len(v["features"])),
                      ", ".join(map(str, v["classes"] or [])), v["sha256"][:12], local_time(v["created_at"]),
                      v["description"])
    out().print(table)


def _status(status: str) -> Text:
    colours = {"completed": "green", "failed": "red", "canceled": "yellow", "running": "cyan"}
    return Text(status, style=colours.get(status, ""))
