"""Records as Redis hashes: the encoding that the job store and the schedule store share."""

import json
from dataclasses import dataclass

from batchsvc.clock import iso


@dataclass(frozen=True)
class HashCodec:
    """Fields named in json_fields are stored as JSON, int_fields as numbers; None is stored as ''."""
    json_fields: frozenset[str]
    int_fields: frozenset[str]

    def encode(self, fields: dict) -> dict:
        return {k: _encode_value(k in self.json_fields, v) for k, v in fields.items()}

    def decode(self, raw: dict) -> dict:
        return {k: self._decode_value(k, v) for k, v in raw.items()}

    def _decode_value(self, key: str, value: str):
        if value == "":
            return None
        if key in self.json_fields:
            return json.loads(value)
        return int(value) if key in self.int_fields else value


def _encode_value(as_json: bool, value):
    if value is None:
        return ""
    return json.dumps(value, default=str) if as_json else value


def event_json(kind: str, **data) -> str:
    """One log entry (a job's or a schedule's): when, what, and its details."""
    return json.dumps({"at": iso(), "event": kind, **data}, default=str)
