"""The `batchsvc` command: the server processes here, the client side in commands.py, API keys in api_keys.py.

Each server command imports its libraries (uvicorn, Dramatiq, Redis, the scoring stack) inside itself, so that
the client commands, `--help` and `--version` start at once (tests/test_cli_startup.py, scripts/bench_cli.py).
"""

import sys
from pathlib import Path

import click

from batchsvc import __version__
from batchsvc.cli import view
from batchsvc.cli.api_keys import keys
from batchsvc.cli.commands import commands as client_commands
from batchsvc.cli.schedule_commands import schedules
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
main.commands.update(client_commands.commands)  # models, submit, status, jobs, cancel, results, events

ALLOW_NO_KEYS_HELP = "serve on a non-loopback address with no API keys (auth off): only behind an authenticating proxy"


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="other than loopback needs API keys")
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--ssl-certfile", type=click.Path(exists=True, dir_okay=False), help="PEM certificate: serve HTTPS")
@click.option("--ssl-keyfile", type=click.Path(exists=True, dir_okay=False), help="PEM private key of the certificate")
@click.option("--allow-no-keys", is_flag=True, help=ALLOW_NO_KEYS_HELP)
def api(host: str, port: int, ssl_certfile: str | None, ssl_keyfile: str | None, allow_no_keys: bool) -> None:
    """Run the HTTP API under uvicorn."""
    import uvicorn

    from batchsvc.api.app import create_app
    from batchsvc.api.exposure import require_keys_for
    from batchsvc.storage.services import get_services

    svc = get_services()
    app = create_app(svc, require_keys=require_keys_for(host, svc, allow_no_keys), allow_no_keys=allow_no_keys)
    uvicorn.run(app, host=host, port=port, ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile, log_level="info",
                timeout_graceful_shutdown=svc.settings.shutdown_s)  # SIGTERM: open requests finish first


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
def up(host: str, port: int, processes: int | None, allow_no_keys: bool) -> None:
    """Everything in one command, for a laptop (starts a private Redis if none answers)."""
    from batchsvc.cli import up as runner

    sys.exit(runner.run(host, port, processes, allow_no_keys))


@main.command()
def scheduler() -> None:
    """Run a scheduler: any number may run, the holder of the Redis leader lease fires each schedule once."""
    from batchsvc.scheduling import scheduler as process
    from batchsvc.settings import get_settings

    get_settings()
    process.run()


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
