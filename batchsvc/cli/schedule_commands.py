"""`batchsvc schedules`: list, show, pause, resume, run, delete over the API (`apply` talks to Redis: main.py).

A schedule is named by its id or its name; like the other client commands they import httpx and rich only
when they run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from batchsvc.cli import view
from batchsvc.cli.commands import connect, fetch_and_show, json_option, url_option

if TYPE_CHECKING:
    from batchsvc.client.client import Client


@click.group()
def schedules() -> None:
    """Schedules: list, show, pause, resume, run now, delete; apply files from jobs/."""


def find(c: Client, ref: str) -> dict:
    """The schedule whose id or name is ref."""
    from batchsvc.client.errors import ClientError

    found = [s for s in c.schedules() if ref in (s["id"], s["name"])]
    if len(found) != 1:
        hint = "two schedules have that name: use the id" if found else "list them with: batchsvc schedules list"
        raise ClientError(f"no single schedule {ref!r}; {hint}", status=404)
    return found[0]


@schedules.command("list")
@url_option
@json_option
def schedules_list(url, as_json) -> None:
    """Every schedule: its timing and timezone, next and last run (this machine's time), last job."""
    from batchsvc.cli import tables

    fetch_and_show(url, as_json, lambda c: c.schedules(), tables.schedules_table)


@schedules.command("show")
@click.argument("schedule")
@url_option
@json_option
def schedules_show(schedule, url, as_json) -> None:
    """One schedule and its fire history."""
    with connect(url) as c:
        record = find(c, schedule)
        history = c.schedule_events(record["id"])
    if as_json:
        return view.print_json({**record, "events": history})
    show_schedule(record)
    click.echo("history:")
    view.events_lines(history)


def show_schedule(s: dict) -> None:
    """A schedule as aligned 'label: value' lines."""
    lines = [("id", s["id"]), ("name", s["name"]), ("when", s["cron"] or f"every {s['interval_s']:,} s"),
             ("timezone", s["timezone"]), ("state", "active" if s["enabled"] else "paused"),
             ("next run", view.local_time(s["next_run_at"])), ("last run", view.local_time(s["last_run_at"])),
             ("last job", s["last_job_id"]), ("model", s["job"].get("model")), ("source", s["source"])]
    if s.get("last_error"):
        lines.append(("last error", view.error_line(s["last_error"])))
    for label, value in lines:
        if value:
            click.echo(f"{label + ':':11} {value}")


def _set_enabled(schedule: str, url: str | None, enabled: bool) -> None:
    with connect(url) as c:
        record = c.change_schedule(find(c, schedule)["id"], enabled=enabled)
    state = f"active, next run {view.local_time(record['next_run_at'])}" if enabled else "paused"
    click.echo(f"{record['name']} ({record['id']}): {state}")


@schedules.command("pause")
@click.argument("schedule")
@url_option
def schedules_pause(schedule, url) -> None:
    """Stop a schedule firing (it stays, with its history)."""
    _set_enabled(schedule, url, False)


@schedules.command("resume")
@click.argument("schedule")
@url_option
def schedules_resume(schedule, url) -> None:
    """Let a paused schedule fire again from its next time."""
    _set_enabled(schedule, url, True)


@schedules.command("run")
@click.argument("schedule")
@url_option
def schedules_run(schedule, url) -> None:
    """Fire a schedule now, outside its timetable; prints the job's id."""
    with connect(url) as c:
        job = c.run_schedule(find(c, schedule)["id"])
    click.echo(job.id)


@schedules.command("delete")
@click.argument("schedule")
@click.option("--yes", is_flag=True, help="do not ask")
@url_option
def schedules_delete(schedule, yes, url) -> None:
    """Delete a schedule (the jobs it submitted stay)."""
    with connect(url) as c:
        record = find(c, schedule)
        if not yes:
            click.confirm(f"delete schedule {record['name']} ({record['id']})?", abort=True)
        c.delete_schedule(record["id"])
    click.echo(f"deleted {record['name']} ({record['id']})")
