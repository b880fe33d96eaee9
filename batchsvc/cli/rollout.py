"""`batchsvc deployments traffic|shadow|history`: split a deployment's requests between versions, shadow one,
read the comparison and the history of changes (added to the `deployments` group in cli/deployments.py)."""

from __future__ import annotations

import click

from batchsvc.cli import view
from batchsvc.cli.commands import fetch_and_show, json_option, url_option


@click.command("traffic")
@click.argument("name")
@click.argument("weights", nargs=-1, required=True, metavar="REF=WEIGHT...")
@url_option
@json_option
def traffic(name, weights, url, as_json) -> None:
    """Split deployment NAME's requests: e.g. credit-risk@3=90 credit-risk@4=10 (integer weights summing to 100)."""
    split = dict(_weight(pair) for pair in weights)
    fetch_and_show(url, as_json, lambda c: c.set_traffic(name, split), show_rollout)


@click.command("shadow")
@click.argument("name")
@click.argument("ref", required=False)
@click.option("--percent", default=100, show_default=True, type=click.IntRange(1, 100),
              help="the share of requests the shadow scores")
@click.option("--off", is_flag=True, help="remove the shadow")
@url_option
@json_option
def shadow(name, ref, percent, off, url, as_json) -> None:
    """Shadow deployment NAME with REF (scored off the request path, compared with the answers given); --off
    removes it; with neither, print the live comparison."""
    if ref and off:
        raise click.UsageError("give REF or --off, not both")
    if ref or off:
        fetch_and_show(url, as_json, lambda c: c.set_shadow(name, None if off else ref, percent), show_rollout)
    else:
        fetch_and_show(url, as_json, lambda c: c.shadow_comparison(name), show_comparison)


@click.command("history")
@click.argument("name")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@url_option
@json_option
def history(name, limit, url, as_json) -> None:
    """Deployment NAME's changes, newest first: when, by whom, each field from and to."""
    fetch_and_show(url, as_json, lambda c: c.deployment_history(name, limit), show_history)


def show_rollout(d: dict) -> None:
    """The versions a deployment serves, their weights, and its shadow."""
    split = d.get("traffic") or {d["model"]: 100}
    click.echo(f"{d['name']}: " + ", ".join(f"{ref} {weight}%" for ref, weight in split.items()))
    s = d.get("shadow")
    click.echo(f"shadow: {s['model']} on {s['percent']}% of requests" if s else "shadow: none")


def show_comparison(c: dict) -> None:
    """The shadow's comparison as 'label: value' lines."""
    if not c["model"]:
        click.echo("no shadow")
        return
    agreement = "n/a" if c["label_agreement"] is None else f"{c['label_agreement']:.2%}"
    latency = c["latency_ms"] and f"mean {c['latency_ms']['mean']:.1f} ms, max {c['latency_ms']['max']:.1f} ms"
    lines = [("shadow", f"{c['model']} on {c['percent']}% of requests"),
             ("requests", f"{c['requests']:,} ({c['compared']:,} compared, {c['rows']:,} rows, {c['errors']:,} "
                          f"errors, {c['dropped']:,} dropped)"),
             ("agreement", agreement), ("latency", latency or "n/a")]
    lines += [(f"|Δp| {cls}", f"mean {d['mean']:.4f}, max {d['max']:.4f}") for cls, d in c["abs_delta_p"].items()]
    for label, value in lines:
        click.echo(f"{label + ':':13} {value}")


def show_history(entries: list[dict]) -> None:
    """One line per changed field, newest change first."""
    if not entries:
        click.echo("no changes")
    for entry in entries:
        for field, change in entry["changes"].items():
            click.echo(f"{view.local_time(entry['time'])}  {entry['by'] or '-'}  {field}: "
                       f"{_text(change['from'])} -> {_text(change['to'])}")


def _weight(pair: str) -> tuple[str, int]:
    ref, sep, weight = pair.rpartition("=")
    if not sep or not ref or not weight.isdigit():
        raise click.BadParameter(f"{pair!r} is not REF=WEIGHT (an integer weight)", param_hint="REF=WEIGHT")
    return ref, int(weight)


def _text(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return "none" if value is None else str(value)
