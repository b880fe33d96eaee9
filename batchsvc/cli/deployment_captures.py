"""`batchsvc deployments captures NAME` and `batchsvc deployments drift NAME --window 1h`: a deployment's capture
files, and the drift of its captured requests against each answering version's baseline, over the API."""

import click

from batchsvc.cli import view
from batchsvc.cli.commands import fetch_and_show, json_option, url_option


@click.command("captures")
@click.argument("name")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000), help="files per page")
@click.option("--cursor", help="the next_cursor a previous page gave (--json shows it)")
@url_option
@json_option
def deployment_captures(name, limit, cursor, url, as_json) -> None:
    """NAME's capture files (Parquet, in the data dir), newest first: time range, rows, size, path."""
    fetch_and_show(url, as_json, lambda c: c.deployment_captures(name, limit, cursor), captures_table)


@click.command("drift")
@click.argument("name")
@click.option("--window", default="1h", show_default=True, help="how far back: 90s, 30m, 1h, 7d")
@url_option
@json_option
def deployment_drift(name, window, url, as_json) -> None:
    """Drift of NAME's captured requests in the last WINDOW, per version that answered: PSI, unseen and missing
    shares per feature, the drifted ones marked."""
    fetch_and_show(url, as_json, lambda c: c.deployment_drift(name, window), show_drift)


def captures_table(page: dict) -> None:
    from batchsvc.cli import tables

    rows = [[view.local_time(f["first"]), view.local_time(f["last"]), f"{f['rows']:,}", f"{f['bytes']:,}", f["path"]]
            for f in page["captures"]]
    tables.print_fitted(["FIRST", "LAST", "ROWS", "BYTES", "PATH"], rows, 5, [], hint="--json")
    if page["next_cursor"]:
        click.echo(f"more: --cursor {page['next_cursor']}")


def show_drift(report: dict) -> None:
    """A heading for the window, then per version its rows and one line per feature."""
    from batchsvc.cli import tables

    click.echo(f"{report['deployment']}: {report['rows']:,} captured rows from {view.local_time(report['since'])} "
               f"to {view.local_time(report['until'])}; drifted: {', '.join(report['drifted']) or 'none'}")
    for version in report["versions"]:
        label = f"{version['model']}@{version['version']}: {_rows(version['rows'])}"
        if not version["baseline"]:
            click.echo(f"{label}; no baseline to compare with")
            continue
        if not version.get("judged", True):  # PSI over a handful of rows is noise: no table of it
            click.echo(f"{label}; too few to call any feature drifted (--json has the figures)")
            continue
        click.echo(f"{label} (PSI over {version['thresholds']['psi']} is drift)")
        rows = [[name, _figure(f["psi"]), f"{f['unseen_share']:.1%}", f"{f['missing_share']:.1%}",
                 "DRIFTED" if f["drifted"] else ""] for name, f in version["features"].items()]
        tables.print_fitted(["FEATURE", "PSI", "UNSEEN", "MISSING", "DRIFT"], rows, 5, [], hint="--json")


def _rows(count: int) -> str:
    return f"{count:,} row" + ("" if count == 1 else "s")


def _figure(psi: float | None) -> str:
    return "" if psi is None else f"{psi:.3f}"
