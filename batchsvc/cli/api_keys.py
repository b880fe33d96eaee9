"""`batchsvc keys`: the operator's API key commands; they talk to Redis directly, never to the API.

Redis and the settings are imported when a command runs, so that `batchsvc --help` does not load them.
"""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING

import click

from batchsvc.cli.view import local_time
from batchsvc.errors import BatchsvcError
from batchsvc.roles import KEY_ROLES

if TYPE_CHECKING:
    from batchsvc.storage.api_keys import KeyStore


def _store() -> KeyStore:
    """The key store in the Redis the settings name (light: no model or scoring imports)."""
    from batchsvc.settings import get_settings
    from batchsvc.storage.api_keys import KeyStore
    from batchsvc.storage.connect import connect
    from batchsvc.storage.redis_keys import Keys

    settings = get_settings()
    return KeyStore(connect(settings), Keys(settings.namespace))


def _replicated(store: KeyStore) -> None:
    """A key change is reported done only once a replica holds it (with Sentinel; storage/replication.py)."""
    from batchsvc.settings import get_settings
    from batchsvc.storage.replication import ReplicaAck

    settings = get_settings()
    ReplicaAck(store.r, store.keys, settings.replica_acks, settings.redis_replica_wait_ms).confirm()


def _redis_errors(command):
    """Turn a Redis that does not answer into one line naming BATCHSVC_REDIS_URL."""
    @functools.wraps(command)
    def run(*args, **kwargs):
        import redis

        from batchsvc.settings import get_settings

        try:
            return command(*args, **kwargs)
        except redis.RedisError as exc:
            raise BatchsvcError(f"Redis at {get_settings().redis_url} does not answer ({type(exc).__name__}); "
                                "check BATCHSVC_REDIS_URL") from None
    return run


@click.group()
def keys() -> None:
    """API keys: auth turns on once one exists. Keys are stored hashed; each is shown once."""


@keys.command()
@click.option("--role", required=True, type=click.Choice([r.value for r in KEY_ROLES]))
@click.option("--name", help="who uses it (jobs record it as created_by) [default: <role>-<random>]")
@_redis_errors
def create(role: str, name: str | None) -> None:
    """Make a key and print it once (stdout); the details go to stderr."""
    store = _store()
    record, key = store.create(role, name)
    _replicated(store)
    click.echo(key)
    click.echo(f"created key {record['id']} for {record['name']!r} (role {record['role']}). "
               "It is not stored and will not be shown again: keep it now.", err=True)


@keys.command()
@click.argument("name")
@_redis_errors
def rotate(name: str) -> None:
    """Make a second key for NAME (same role); revoke the old one once clients use the new one."""
    store = _store()
    record, key = store.rotate(name)
    _replicated(store)
    click.echo(key)
    click.echo(f"created key {record['id']} for {name!r} (role {record['role']}); both keys work now. When "
               f"clients have moved over: batchsvc keys revoke {name} --id <old id> (see batchsvc keys list)",
               err=True)


@keys.command()
@click.argument("name")
@click.option("--id", "key_id", help="revoke only this key of NAME (after a rotation)")
@_redis_errors
def revoke(name: str, key_id: str | None) -> None:
    """Revoke NAME's keys (or one of them); requests with them get 401 at once."""
    store = _store()
    removed = store.revoke(name, key_id)
    _replicated(store)
    click.echo(f"revoked {len(removed)} key(s) of {name!r}: {', '.join(removed)}")


@keys.command("list")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per key")
@_redis_errors
def list_keys(as_json: bool) -> None:
    """Names, roles, ids, created and last used (to the minute); never the keys."""
    records = _store().list()
    if as_json:
        for record in records:
            click.echo(json.dumps(record))
        return
    click.echo(f"{'NAME':<24} {'ROLE':<10} {'ID':<13} {'CREATED':<25} LAST USED")
    for r in records:
        click.echo(f"{r['name']:<24} {r['role']:<10} {r['id']:<13} {local_time(r['created_at']):<25} "
                   f"{local_time(r['last_used']) or '-'}")
