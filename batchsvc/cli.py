"""The `batchsvc` command: the server processes, and (in cli_client.py) the client side."""

import sys

import click

from .errors import BatchsvcError


class Cli(click.Group):
    """Shows our errors as one line, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except BatchsvcError as exc:
            click.echo(f"error: {exc.message}", err=True)
            sys.exit(2)


@click.group(cls=Cli)
def main() -> None:
    """batchsvc: batch scoring jobs for scikit-learn models."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--ssl-certfile", type=click.Path(exists=True, dir_okay=False))
@click.option("--ssl-keyfile", type=click.Path(exists=True, dir_okay=False))
def api(host: str, port: int, ssl_certfile: str | None, ssl_keyfile: str | None) -> None:
    """Run the HTTP API under uvicorn."""
    import uvicorn

    from .api.app import create_app
    from .services import get_services

    app = create_app(get_services())
    uvicorn.run(app, host=host, port=port, ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile, log_level="info")


@main.command()
@click.option("--processes", type=int, help="worker processes [default: CPU count]")
@click.option("--threads", default=1, show_default=True, type=int, help="threads per process")
def worker(processes: int | None, threads: int) -> None:
    """Run Dramatiq worker processes, restarting any that dies."""
    from . import worker as supervisor
    from .settings import get_settings

    get_settings()  # a bad setting fails here, once, not in every child
    supervisor.run(processes, threads)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--processes", type=int, help="worker processes [default: CPU count]")
def up(host: str, port: int, processes: int | None) -> None:
    """Everything in one command, for a laptop (starts a private Redis if none answers)."""
    from . import up as runner

    sys.exit(runner.run(host, port, processes))


from .cli_client import commands as client_commands  # noqa: E402  (models, submit, status, jobs, …)
main.commands.update(client_commands.commands)

if __name__ == "__main__":
    main()
