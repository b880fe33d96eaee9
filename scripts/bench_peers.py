"""The peers of scripts/bench_online.py: other model servers, each installed by the bench into its own venv
(tests/vendors.py: outside the clone, reused once complete), serving the same fitted pipeline on loopback.

    python scripts/bench_peers.py          # install (or check) every peer's venv now
"""

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the one builder of vendors' venvs, which the tests use too
from vendors import vendor_venv  # noqa: E402

INSTALL_TIMEOUT_S = 1800


def sklearn_pin() -> str:
    """The peers unpickle the bench's model: the same scikit-learn as this venv's."""
    import sklearn

    return f"scikit-learn=={sklearn.__version__}"


@dataclass
class Peer:
    name: str
    packages: list[str]

    def requirements(self) -> list[str]:
        return [*self.packages, sklearn_pin()]

    @property
    def bin(self) -> Path:
        """The bin folder of the peer's own venv (tests/vendors.py), installed unless a run completed these pins."""
        return vendor_venv(f"bench-{self.name}", self.requirements(), INSTALL_TIMEOUT_S).parent

    def install(self) -> Path:
        return self.bin


MLSERVER = Peer("mlserver", ["mlserver==1.7.1", "mlserver-sklearn==1.7.1", "uvloop==0.21.0"])
AZUREML = Peer("azureml", ["azureml-inference-server-http==1.5.1", "pandas"])
MLFLOW = Peer("mlflow", ["mlflow-skinny==3.18.0", "skops<1", "pandas"])
PEERS = [MLSERVER, AZUREML, MLFLOW]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of a process and its descendants so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") + sum(cpu_s(int(c)) for c in children)


@dataclass
class Served:
    """How to start a peer over a saved model, ask it whether it is ready, and what to send it."""
    command: list[str]
    env: dict
    ready_path: str
    path: str
    body: dict


def serve(peer: Peer, folder: Path, model_file: Path, fields: list[str], row: list) -> Served:
    """The peer's command and request for one row of `fields`, with its files written under `folder`."""
    port, record = free_port(), dict(zip(fields, row))
    url = f"http://127.0.0.1:{port}"
    if peer is MLSERVER:
        mlserver_files(folder, model_file, port)
        inputs = [{"name": f, "shape": [1], "datatype": "BYTES" if isinstance(v, str) else "FP64", "data": [v]}
                  for f, v in record.items()]
        return Served([str(peer.bin / "mlserver"), "start", str(folder)], {}, f"{url}/v2/health/ready",
                      f"{url}/v2/models/credit-risk/infer", {"parameters": {"content_type": "pd"}, "inputs": inputs})
    if peer is AZUREML:
        script = azureml_files(folder, model_file)
        env = {"AZUREML_MODEL_DIR": str(folder), "AML_APP_ROOT": str(folder), "AZUREML_ENTRY_SCRIPT": script.name}
        return Served([str(peer.bin / "azmlinfsrv"), "--entry_script", str(script), "--port", str(port)], env,
                      f"{url}/", f"{url}/score", {"records": [record]})
    model = mlflow_model(peer.bin / "python", folder, model_file)
    path = {"PATH": f"{peer.bin}:{os.environ.get('PATH', '')}"}  # it starts `uvicorn` by name
    return Served([str(peer.bin / "mlflow"), "models", "serve", "-m", str(model), "--env-manager", "local",
                   "-h", "127.0.0.1", "-p", str(port)], path, f"{url}/ping", f"{url}/invocations",
                  {"dataframe_records": [record]})


def mlserver_files(folder: Path, model_file: Path, port: int) -> None:
    """MLServer's settings (loopback, HTTP on `port`, its gRPC and metrics listeners on free ports, the rest its
    defaults) and the model's settings: the scikit-learn runtime answering predict_proba."""
    (folder / "settings.json").write_text(json.dumps({"host": "127.0.0.1", "http_port": port,
                                                      "grpc_port": free_port(), "metrics_port": free_port()}))
    (folder / "model-settings.json").write_text(json.dumps({
        "name": "credit-risk", "implementation": "mlserver_sklearn.SKLearnModel",
        "parameters": {"uri": str(model_file), "extra": {"predict_fn": "predict_proba"}}}))


def azureml_files(folder: Path, model_file: Path) -> Path:
    """Azure's entry script: init() loads the pipeline, run() scores the records of the raw body."""
    script = folder / "score.py"
    script.write_text(textwrap.dedent(f"""
        import json
        import joblib
        import pandas as pd

        def init():
            global model
            model = joblib.load({str(model_file)!r})

        def run(raw):
            frame = pd.DataFrame(json.loads(raw)["records"])
            proba = model.predict_proba(frame)
            return {{"predictions": model.classes_[proba.argmax(axis=1)].tolist(), "probabilities": proba.tolist()}}
    """))
    return script


def mlflow_model(python: Path, folder: Path, model_file: Path) -> Path:
    """The pipeline saved as an MLflow model by MLflow itself (in its venv), with its input example."""
    dest = folder / "mlflow-model"
    code = (f"import joblib, mlflow.sklearn; mlflow.sklearn.save_model(joblib.load({str(model_file)!r}), "
            f"{str(dest)!r}, pyfunc_predict_fn='predict_proba')")
    subprocess.run([str(python), "-c", code], check=True, timeout=300, env={**os.environ, "MLFLOW_TRACKING_URI": ""})
    return dest


if __name__ == "__main__":
    for peer in PEERS:
        print(peer.name, peer.install(), flush=True)
