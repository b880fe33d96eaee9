"""`batchsvc serve FOLDER`: debug an Azure ML entry script locally, as azmlinfsrv serves it, reloading on change."""

from pathlib import Path

import click


@click.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--port", default=5001, show_default=True, type=int, help="azmlinfsrv's default port")
@click.option("--host", default="127.0.0.1", show_default=True, help="where to listen (azmlinfsrv: every address)")
@click.option("--model-dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="AZUREML_MODEL_DIR for init [default: FOLDER]")
def serve(folder: Path, port: int, host: str, model_dir: Path | None) -> None:
    """Serve FOLDER's score.py: GET / (Healthy), POST /score, GET /swagger.json; no Redis. An edit to score.py or a
    file beside it is picked up by the next request (imported again, init called again)."""
    import uvicorn

    from batchsvc.local.entry_server import create_app

    click.echo(f"serving {folder / 'score.py'} at http://{host}:{port}/score (Ctrl-C stops)", err=True)
    uvicorn.run(create_app(folder, model_dir), host=host, port=port, log_level="info")
