"""The client's schedule calls: list, read, change (pause, resume), delete, and a schedule's fire history.

Mixed into Client (client.py), which supplies the HTTP plumbing (_json, _request) and run_schedule (it answers a
Job, which lives there).
"""

from __future__ import annotations

import httpx


class ScheduleCalls:
    """Schedules (docs/schedules.md)."""

    def _json(self, method: str, path: str, **kwargs) -> dict:
        raise NotImplementedError

    def _request(self, method: str, path: str, **kwargs) -> httpx.Response:
        raise NotImplementedError

    def schedules(self) -> list[dict]:
        return self._json("GET", "/v1/schedules")["schedules"]

    def schedule(self, schedule_id: str) -> dict:
        return self._json("GET", f"/v1/schedules/{schedule_id}")

    def change_schedule(self, schedule_id: str, **changes) -> dict:
        """PATCH a schedule, e.g. enabled=False to pause it."""
        return self._json("PATCH", f"/v1/schedules/{schedule_id}", json=changes)

    def delete_schedule(self, schedule_id: str) -> None:
        self._request("DELETE", f"/v1/schedules/{schedule_id}")

    def schedule_events(self, schedule_id: str) -> list[dict]:
        return self._json("GET", f"/v1/schedules/{schedule_id}/events")["events"]
