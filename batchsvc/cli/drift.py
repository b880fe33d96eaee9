"""`batchsvc profile JOB_ID`: a job's input against its version's baseline, one line per feature, drifted marked.

Next to `status`, `events` and `results`, the other commands that read one job.
"""

from __future__ import annotations

import click

from batchsvc.cli.commands import fetch_and_show, json_option, url_option


@click.command("profile")
@click.argument("job_id")
@url_option
@json_option
def profile(job_id, url, as_json) -> None:
    """A job's drift: per feature its PSI against the baseline, unseen and missing shares; drifted ones marked."""
    fetch_and_show(url, as_json, lambda c: c.job_profile(job_id), profile_lines)


def profile_lines(report: dict) -> None:
    """The features, most drifted first, then a line saying which drifted under which threshold."""
    click.echo(f"{'feature':<28} {'psi':>8} {'unseen':>8} {'missing':>8}")
    ordered = sorted(report["features"].items(), key=lambda item: -(item[1]["psi"] or 0))
    for name, f in ordered:
        psi = "-" if f["psi"] is None else f"{f['psi']:.4f}"
        mark = "  DRIFTED" if f["drifted"] else ""
        click.echo(f"{name:<28} {psi:>8} {f['unseen_share']:>8.2%} {f['missing_share']:>8.2%}{mark}")
    done = "" if report["complete"] else " so far (the job is still running)"
    drifted = ", ".join(report["drifted"]) or "none"
    click.echo(f"{report['rows']} rows{done}; psi threshold {report['thresholds']['psi']}; drifted: {drifted}")
