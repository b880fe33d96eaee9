"""Rich tables for the client commands: jobs, models, a model's versions, deployments.

A table never squeezes a column it needs (an id, a status, a count) to an ellipsis: columns a narrow terminal has
no room for are left out, least useful first, and a last line says which (fit_table)."""

import os

import click
from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from batchsvc.cli.view import error_line, local_time, number, seconds_between
from batchsvc.client.client import Job

PIPED_WIDTH = 160  # columns for tables written to a file or pipe when COLUMNS does not say (rich assumes 80)
GAP = 2  # columns between two table columns (box.SIMPLE_HEAD, no edge padding)
MIN_ELLIPSIS_WIDTH = 12  # the narrowest a cut column (an error) is still worth showing


def out() -> Console:
    """A console on stdout: the terminal's width, COLUMNS when set, else wide enough for whole ids when piped."""
    console = Console(highlight=False)
    if not console.is_terminal and not os.environ.get("COLUMNS", "").isdigit():
        console.width = PIPED_WIDTH
    return console


def fit_table(headers: list[str], rows: list[list], keep: int, drop_order: list[str], width: int,
              cut: str | None = None) -> tuple[Table, list[str]]:
    """A table of the columns that fit `width` whole: the first `keep` always, the others unless they must go
    (in drop_order); `cut` may be shortened with an ellipsis instead. Returns it and the headers left out."""
    rows = [[_one_line(c) for c in r] for r in rows]  # a row is one line: an error's newlines become spaces
    widths = {h: max([cell_len(h), *(cell_len(str(r[i])) for r in rows)]) for i, h in enumerate(headers)}
    shown = list(headers)

    def needed() -> int:
        fixed = sum(widths[h] for h in shown if h != cut)
        return fixed + GAP * (len(shown) - 1) + (MIN_ELLIPSIS_WIDTH if cut in shown else 0)

    for header in drop_order:
        if needed() <= width:
            break
        if headers.index(header) >= keep:
            shown.remove(header)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, collapse_padding=True)
    for h in shown:
        flexible = h == cut
        table.add_column(h, no_wrap=True, overflow="ellipsis" if flexible else "fold",
                         min_width=None if flexible else widths[h])
    for r in rows:
        table.add_row(*(r[headers.index(h)] for h in shown))
    return table, [h for h in headers if h not in shown]


def print_fitted(headers: list[str], rows: list[list], keep: int, drop_order: list[str], cut: str | None = None,
                 hint: str = "--json") -> None:
    """fit_table on stdout, with a line naming the columns left out and where to see them."""
    console = out()
    table, hidden = fit_table(headers, rows, keep, drop_order, console.width, cut)
    console.print(table)
    if hidden:
        console.print(f"({', '.join(hidden)} left out at {console.width} columns: a wider terminal or {hint} "
                      "shows them)", style="dim")


def jobs_table(jobs: list[Job]) -> None:
    """ID, STATUS, ROWS and SECONDS whole at any width; MODEL, NAME, CREATED and ERROR as room allows."""
    headers = ["ID", "STATUS", "ROWS", "SECONDS", "MODEL", "NAME", "CREATED", "ERROR"]
    rows = []
    for job in jobs:
        r, p = job.record, job.progress
        took = seconds_between(r["created_at"], r.get("finished_at"))
        rows.append([r["id"], _status(r["status"]), f"{p['rows_done']:,}/{number(p['rows_total'])}",
                     f"{took:.2f}" if r.get("finished_at") else "", f"{r['model']['name']}@{r['model']['version']}",
                     r.get("name") or "", local_time(r["created_at"]), error_line(r.get("error"))])
    print_fitted(headers, rows, 4, ["CREATED", "NAME", "ERROR", "MODEL"], cut="ERROR",
                 hint="batchsvc status ID")


def schedules_table(schedules: list[dict]) -> None:
    headers = ["NAME", "STATE", "WHEN", "NEXT RUN", "TIMEZONE", "LAST RUN", "LAST JOB", "ID"]
    rows = [[s["name"], "active" if s["enabled"] else "paused", s["cron"] or f"every {s['interval_s']:,} s",
             local_time(s["next_run_at"]), s["timezone"], local_time(s["last_run_at"]), s["last_job_id"] or "",
             s["id"]] for s in schedules]
    print_fitted(headers, rows, 4, ["ID", "LAST JOB", "LAST RUN", "TIMEZONE"], hint="batchsvc schedules show NAME")


def models_table(models: list[dict]) -> None:
    headers = ["NAME", "LATEST", "ALIASES", "TASK", "VERSIONS", "UPDATED"]
    rows = [[m["name"], str(m["latest_version"]), ", ".join(f"{a}→{v}" for a, v in sorted(m["aliases"].items())),
             m["task"], str(m["versions"]), local_time(m["updated_at"])] for m in models]
    print_fitted(headers, rows, 2, ["UPDATED", "VERSIONS", "TASK", "ALIASES"], hint="batchsvc models show NAME")


def model_detail(model: dict) -> None:
    aliases = ", ".join(f"{a}→{v}" for a, v in sorted(model["aliases"].items())) or "none"
    click.echo(f"{model['name']}: latest version {model['latest_version']}; aliases: {aliases}")
    headers = ["VERSION", "ENGINE", "TASK", "FEATURES", "CLASSES", "SHA256", "CREATED", "DESCRIPTION"]
    rows = [[str(v["version"]), engine_name(v), v["task"], str(len(v["features"])),
             ", ".join(map(str, v["classes"] or [])), v["sha256"][:12], local_time(v["created_at"]),
             v["description"]] for v in model["versions"]]
    print_fitted(headers, rows, 3, ["DESCRIPTION", "CREATED", "SHA256", "CLASSES", "FEATURES"], cut="DESCRIPTION")


def engine_name(version: dict) -> str:
    """The engine a version scores with by default: its verified compiled one, else sklearn; a code model's code."""
    if version.get("kind") == "code":
        return "code"
    return (version.get("engine") or {}).get("chosen") or "sklearn"


def deployments_table(deployments: list[dict]) -> None:
    headers = ["NAME", "STATE", "SERVING", "REQUESTS", "ERRORS", "MODEL", "SCORING URL", "REASON"]
    rows = [[d["name"], _status(d["state"]), _served(d), f"{d['counters']['requests']:,}",
             f"{d['counters']['errors']:,}", d["model"], d["scoring_url"], d.get("reason") or ""] for d in deployments]
    print_fitted(headers, rows, 5, ["REASON", "SCORING URL", "MODEL"], cut="REASON",
                 hint="batchsvc deployments show NAME")


def logs_table(entries: list[dict]) -> None:
    headers = ["TIME", "STATUS", "ROWS", "MS", "VERSION", "ENGINE", "ERROR"]
    rows = [[local_time(e["time"]), _status("completed" if e["status"] == 200 else "failed", str(e["status"])),
             f"{e['rows']:,}", f"{e['ms']:,.1f}", str(e.get("version") or ""), e.get("engine") or "",
             e.get("error") or ""] for e in entries]
    print_fitted(headers, rows, 4, ["ENGINE", "VERSION", "ERROR"], cut="ERROR", hint="--json")


def predictions_table(answer: dict, classes: list | None) -> None:
    """One line per scored row: its number, the prediction and each class's probability (P(class))."""
    fields, values = answer["fields"], answer["values"]
    at = {f: i for i, f in enumerate(fields)}
    plain = [f for f in fields if f != "probability"]
    proba = "probability" in at
    width = len(values[0][at["probability"]]) if proba and values else 0
    names = [f"P({c})" for c in classes] if classes and len(classes) == width else [f"P[{i}]" for i in range(width)]
    rows = [[str(n), *(str(v[at[f]]) for f in plain), *(f"{p:.4f}" for p in (v[at["probability"]] if proba else []))]
            for n, v in enumerate(values, 1)]
    print_fitted(["ROW", *plain, *names], rows, 2 + len(plain) + len(names), [], hint="--json")


def _one_line(cell):
    """A cell's text on one line (a Text keeps its style)."""
    if isinstance(cell, Text):
        return Text(" ".join(cell.plain.split()), style=cell.style) if "\n" in cell.plain else cell
    return " ".join(str(cell).split()) if "\n" in str(cell) else cell


def _served(d: dict) -> str:
    serving = d.get("serving")
    return f"{serving['name']}@{serving['version']}" if serving else "–"


def _status(status: str, shown: str | None = None) -> Text:
    """A state word in its colour (shown instead of the word when given)."""
    colours = {"completed": "green", "failed": "red", "canceled": "yellow", "running": "cyan", "ready": "green"}
    return Text(shown or status, style=colours.get(status, ""))
