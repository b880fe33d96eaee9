"""The client's drift calls: a job's input profile against its version's baseline, a model's thresholds.

Mixed into Client (client.py), which supplies the HTTP plumbing (_json).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class DriftCalls:
    """Drift (docs/drift.md): per-feature PSI of a job's input, and the threshold that marks a feature drifted."""

    def _json(self, method: str, path: str, **kwargs) -> dict:
        raise NotImplementedError

    def job_profile(self, job_id: str) -> dict:
        """The job's merged input profile, per-feature psi/unseen_share/missing_share/drifted, and `drifted`."""
        return self._json("GET", f"/v1/jobs/{job_id}/profile")

    def drift_alert(self, name: str) -> dict:
        """The model's drift thresholds, e.g. {"psi": 0.2}."""
        return self._json("GET", f"/v1/models/{name}/drift_alert")

    def set_drift_alert(self, name: str, psi: float) -> dict:
        """Judge the model's later jobs drifted when a feature's PSI is above `psi`."""
        return self._json("PUT", f"/v1/models/{name}/drift_alert", json={"psi": psi})


def with_baseline(files: dict[str, tuple[str, Any]], baseline: str | Path | None) -> dict[str, tuple[str, Any]]:
    """A registration's multipart files, with the baseline file's bytes as the `baseline` part when one is given."""
    if baseline is None:
        return files
    return {**files, "baseline": (Path(baseline).name, Path(baseline).read_bytes())}
