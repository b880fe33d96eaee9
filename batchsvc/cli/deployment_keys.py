"""`batchsvc deployments keys NAME` and `batchsvc deployments regenerate-key NAME --key-type primary|secondary`:
Azure ML's primary and secondary keys of a deployment, over the API (an admin's key)."""

import click

from batchsvc.cli import view
from batchsvc.cli.commands import json_option, url_option

KEY_TYPES = ("primary", "secondary")  # Azure's keyType, Primary or Secondary


def _client(url: str | None):
    from batchsvc.client.deployment_keys import DeploymentKeysClient

    return DeploymentKeysClient(url)


def _show(keys: dict, as_json: bool) -> None:
    if as_json:
        return view.print_json(keys)
    click.echo(f"primary    {keys['primaryKey']}\nsecondary  {keys['secondaryKey']}")


@click.command("keys")
@click.argument("name")
@url_option
@json_option
def deployment_keys(name: str, url: str | None, as_json: bool) -> None:
    """Show NAME's primary and secondary key: each scores NAME (and nothing else) on its Azure scoring URI."""
    with _client(url) as client:
        _show(client.deployment_keys(name), as_json)


@click.command("regenerate-key")
@click.argument("name")
@click.option("--key-type", required=True, type=click.Choice(KEY_TYPES), help="the key to replace")
@url_option
@json_option
def regenerate_key(name: str, key_type: str, url: str | None, as_json: bool) -> None:
    """Replace NAME's primary or secondary key: the old one is refused at once, the other keeps working."""
    with _client(url) as client:
        _show(client.regenerate_key(name, key_type), as_json)
