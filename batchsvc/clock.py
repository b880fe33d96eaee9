"""Timestamps as the API shows them (UTC, ISO 8601, Z)."""

from datetime import datetime, timezone


def now() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime | None = None) -> str:
    return (moment or now()).astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
