"""The `batchsvc` command: the server processes here, the client side in commands.py, API keys in api_keys.py.

Each server command imports its libraries (uvicorn, Dramatiq, Redis, the scoring stack) inside itself, so that
the client commands, `--help` and `--version` start at once (tests/test_cli_startup.py, scripts/bench_cli.py).
"""

import os
import sys
from pathlib import Path
from typing import Any

import click

from batchsvc import __version__
from batchsvc.cli import view
from batchsvc.cli.api_keys import keys
from batchsvc.cli.commands import commands as client_commands
from batchsvc.cli.deployment_captures import deployment_captures, deployment_drift
from batchsvc.cli.deployment_keys import deployment_keys, regenerate_key
from batchsvc.cli.deployments import deployments
from batchsvc.cli.drift import profile
from batchsvc.cli.schedule_commands import schedules
from batchsvc.cli.serve import serve
from batchsvc.errors import BatchsvcError


class Cli(click.Group):
    """Shows our errors as one line, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except BatchsvcError as exc:
            click.echo(f"error: {exc.message}", err=True)
            sys.exit(view.exit_code(exc))


@click.group(cls=Cli)
@click.version_option(__version__, prog_name="batchsvc", message="%(prog)s %(version)s")
def main() -> None:
    """batchsvc: batch scoring jobs for scikit-learn models."""


main.add_command(keys)
main.add_command(schedules)
main.add_command(serve)
main.add_command(deployments)
main.add_command(profile)
deployments.add_command(deployment_keys)
deployments.add_command(regenerate_key)
deployments.add_command(deployment_captures)
deployments.add_command(deployment_drift)
main.commands.update(client_commands.commands)  # models, submit, status, jobs, cancel, results, events

ALLOW_NO_KEYS_HELP = "serve on a non-loopback address with no API keys (auth off): only behind an authenticating proxy"


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="other than loopback needs API keys")
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--ssl-certfile", type=click.Path(exists=True, dir_okay=False), help="PEM certificate: serve HTTPS")
@click.option("--ssl-keyfile", type=click.Path(exists=True, dir_okay=False), help="PEM private key of the certificate")
@click.option("--allow-no-keys", is_flag=True, help=ALLOW_NO_KEYS_HELP)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="API processes (they share nothing but Redis)")
def api(host: str, port: int, ssl_certfile: str | None, ssl_keyfile: str | None, allow_no_keys: bool,
        workers: int) -> None:
    """Run the HTTP API under uvicorn."""
    import uvicorn

    from batchsvc.api.app import create_app
    from batchsvc.api.exposure import require_keys_for
    from batchsvc.api.nodelay import no_delay_protocol
    from batchsvc.storage.services import get_services

    svc = get_services()
    require_keys = require_keys_for(host, svc, allow_no_keys)
    options: dict[str, Any] = dict(host=host, port=port, ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile,
                                   log_level="info",  # SIGTERM: open requests get shutdown_s to finish
                                   timeout_graceful_shutdown=svc.settings.shutdown_s, http=no_delay_protocol())
    if workers == 1:
        uvicorn.run(create_app(svc, require_keys=require_keys, allow_no_keys=allow_no_keys), **options)
        return
    from batchsvc.worker.process import limit_native_threads

    limit_native_threads(max(1, (os.cpu_count() or 1) // workers))  # N processes must not each spin every core
    # each process makes its app from the environment: pass the decisions made here on through it
    os.environ["BATCHSVC_AUTH_REQUIRED"] = str(require_keys or svc.settings.auth_required).lower()
    os.environ["BATCHSVC_ALLOW_NO_KEYS"] = str(allow_no_keys or svc.settings.allow_no_keys).lower()
    uvicorn.run("batchsvc.api.app:app_from_env", factory=True, workers=workers, **options)


@main.command()
@click.option("--processes", type=int, help="worker processes [default: CPU count]")
@click.option("--threads", default=1, show_default=True, type=int, help="threads per process")
def worker(processes: int | None, threads: int) -> None:
    """Run Dramatiq worker processes, restarting any that dies."""
    from batchsvc.settings import get_settings
    from batchsvc.worker import supervisor

    settings = get_settings()  # a bad setting fails here, once, not in every child
    supervisor.run(processes, threads, settings.native_threads, settings.shutdown_s)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--processes", type=int, help="worker processes [default: CPU count]")
@click.option("--allow-no-keys", is_flag=True, help=ALLOW_NO_KEYS_HELP)
@click.option("--redis-url", metavar="URL", help="the Redis to use, or start privately if none answers there "
              "[default: BATCHSVC_REDIS_URL, else redis://127.0.0.1:6379/0]")
def up(host: str, port: int, processes: int | None, allow_no_keys: bool, redis_url: str | None) -> None:
    """Everything in one command, for a laptop: the API with its web console, workers, the scheduler (and a
    private Redis if none answers at the Redis URL)."""
    from batchsvc.cli import up as runner

    sys.exit(runner.run(host, port, processes, allow_no_keys, redis_url))


@main.command()
def scheduler() -> None:
    """Run a scheduler: any number may run, the holder of the Redis leader lease fires each schedule once."""
    from batchsvc.scheduling import scheduler as process
    from batchsvc.settings import get_settings

    get_settings()
    process.run()


@main.command()
def gc() -> None:
    """Apply retention now: remove expired finished jobs, unused uploads and capture files (talks to Redis
    and the data dir directly)."""
    from batchsvc.jobs import retention
    from batchsvc.storage.services import get_services

    svc = get_services()
    removed = retention.collect_all(svc)
    click.echo(f"removed {removed['jobs']} finished jobs {_age(svc.settings.job_ttl_s)} "
               f"and {removed['uploads']} unused uploads {_age(svc.settings.upload_ttl_s)}; "
               f"{removed['captures']} capture files {_age(svc.settings.capture_retention_s)}")


def _age(ttl_s: int) -> str:
    """Which ones a TTL removes, for gc's one line."""
    return f"older than {ttl_s} s" if ttl_s else "(none: a TTL of 0 keeps them)"


@schedules.command("apply")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--prune", is_flag=True, help="also delete file schedules whose file is gone")
def schedules_apply(directory: Path, prune: bool) -> None:
    """Create or update the schedule of each YAML/TOML file in DIRECTORY (talks to Redis directly)."""
    from batchsvc.scheduling import files as schedule_files
    from batchsvc.storage.services import get_services

    for outcome in schedule_files.apply(get_services(), directory, prune):
        click.echo(f"{outcome.action:<10} {outcome.name}  (id {outcome.schedule_id}, {outcome.source})")


if __name__ == "__main__":
    main()
