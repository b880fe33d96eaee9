"""The client's calls for online deployments (/v1/deployments): create, read, change, delete, logs, predict.

Mixed into Client (client.py), which supplies the HTTP plumbing (_json, _request).
"""

from __future__ import annotations

import builtins
from typing import Any

import httpx


class DeploymentCalls:
    """A stable name and scoring URL over a model reference, and scoring with it."""

    def _json(self, method: str, path: str, **kwargs) -> dict:
        raise NotImplementedError

    def _request(self, method: str, path: str, **kwargs) -> httpx.Response:
        raise NotImplementedError

    def create_deployment(self, name: str, model: str, description: str = "", engine: str | None = None,
                          capture: float | None = None) -> dict:
        """A deployment NAME serving `model` (name, name@3 or name@alias), capturing `capture` percent of its
        requests; its record, state checked."""
        body: dict[str, Any] = {"name": name, "model": model, "description": description}
        if engine:
            body["engine"] = engine
        if capture:
            body["capture"] = {"percent": capture}
        return self._json("POST", "/v1/deployments", json=body)

    def deployments(self) -> builtins.list[dict]:
        return self._json("GET", "/v1/deployments")["deployments"]

    def deployment(self, name: str) -> dict:
        return self._json("GET", f"/v1/deployments/{name}")

    def change_deployment(self, name: str, **changes) -> dict:
        """PATCH a deployment, e.g. model="credit-risk@2"."""
        return self._json("PATCH", f"/v1/deployments/{name}", json=changes)

    def delete_deployment(self, name: str) -> None:
        self._request("DELETE", f"/v1/deployments/{name}")

    def deployment_logs(self, name: str, limit: int | None = None) -> builtins.list[dict]:
        """Its latest requests, newest first: time, rows, ms, status, version, engine, error."""
        params = {"limit": limit} if limit else {}
        return self._json("GET", f"/v1/deployments/{name}/logs", params=params)["logs"]

    def deployment_captures(self, name: str, limit: int | None = None, cursor: str | None = None) -> dict:
        """A page of its capture files, newest first: {"captures": [{path, first, last, rows, bytes}],
        "next_cursor"}."""
        params: dict[str, Any] = {"limit": limit} if limit else {}
        if cursor:
            params["cursor"] = cursor
        return self._json("GET", f"/v1/deployments/{name}/captures", params=params)

    def deployment_drift(self, name: str, window: str = "1h") -> dict:
        """The drift of its captured requests over the last `window` (90s, 30m, 1h, 7d), per answering version."""
        return self._json("GET", f"/v1/deployments/{name}/drift", params={"window": window})

    def predict(self, name: str, fields: builtins.list[str], values: builtins.list[builtins.list]) -> dict:
        """Score rows now with deployment NAME: {"fields": ["prediction", "probability"], "values": [...]}."""
        body = {"input_data": [{"fields": fields, "values": values}]}
        return self._json("POST", f"/v1/deployments/{name}/predictions", json=body)["predictions"][0]

    def set_traffic(self, name: str, traffic: dict[str, int]) -> dict:
        """Split deployment NAME's requests by weight, e.g. {"credit-risk@3": 90, "credit-risk@4": 10} (sum 100)."""
        return self.change_deployment(name, traffic=traffic)

    def set_shadow(self, name: str, model: str | None, percent: int = 100) -> dict:
        """Let `model` score `percent`% of deployment NAME's requests off the request path; None: no shadow."""
        return self.change_deployment(name, shadow={"model": model, "percent": percent} if model else None)

    def shadow_comparison(self, name: str) -> dict:
        """The live comparison of its shadow: requests, label agreement, |Δp| per class, latency, errors."""
        return self._json("GET", f"/v1/deployments/{name}/shadow")

    def deployment_history(self, name: str, limit: int | None = None) -> builtins.list[dict]:
        """Its changes, newest first: time, by, changes {field: {from, to}}."""
        params = {"limit": limit} if limit else {}
        return self._json("GET", f"/v1/deployments/{name}/history", params=params)["history"]
