"""Which model reference of a deployment answers one request: pure choice, no Redis, no HTTP.

A deployment serves `model` alone, or a `traffic` split ({"credit-risk@3": 90, "credit-risk@4": 10}, integer
weights summing to 100). A request is routed to one reference: the one its pin header names (`batchsvc-version`,
or on the Azure route `azureml-model-deployment`), else by a stable hash of its `batchsvc-routing-key` header
(one key, one reference while the weights stay), else at random by weight. References are taken in sorted order,
so the same weights give the same choice for a key whatever order a PATCH listed them in.
"""

import hashlib
import random
from collections.abc import Mapping

from batchsvc.errors import BadHeader

VERSION_HEADER = "batchsvc-version"  # request: pins a reference; response: the name@version that answered
ROUTING_KEY_HEADER = "batchsvc-routing-key"
AZURE_DEPLOYMENT_HEADER = "azureml-model-deployment"  # Azure's pin: a reference, or the alias/version after '@'
WEIGHT_TOTAL = 100
_HASH_BUCKETS = 10_000  # a key's hash is a point in [0, 100) in steps of 0.01


def traffic_of(record: Mapping) -> dict[str, int]:
    """The deployment's split: its `traffic`, or its one `model` at 100."""
    return dict(record.get("traffic") or {record["model"]: WEIGHT_TOTAL})


def heaviest(traffic: Mapping[str, int]) -> str:
    """The reference with the largest weight (the first in sorted order on a tie): what `model` shows."""
    return max(sorted(traffic), key=lambda ref: traffic[ref])


def shadow_ref(record: Mapping) -> str | None:
    shadow = record.get("shadow")
    return shadow["model"] if shadow else None


def choose(traffic: Mapping[str, int], key: str | None = None, draw: float | None = None) -> str:
    """The reference a point in [0, 100) falls on, weights laid end to end in sorted order: the key's stable hash,
    else `draw`, else a random point."""
    point = _point(key) if key is not None else (random.random() * WEIGHT_TOTAL if draw is None else draw)
    for ref in sorted(traffic):
        point -= traffic[ref]
        if point < 0:
            return ref
    return heaviest(traffic)


def pinned(record: Mapping, pin: str, header: str) -> str:
    """The reference a pin header names: one of the deployment's traffic or its shadow (on Azure's header also the
    part after '@' of exactly one of them); anything else is a 400 naming the header."""
    refs = sorted(traffic_of(record)) + [r for r in [shadow_ref(record)] if r]
    if pin in refs:
        return pin
    if header == AZURE_DEPLOYMENT_HEADER:
        tails = [ref for ref in refs if ref.partition("@")[2] == pin]
        if len(tails) == 1:
            return tails[0]
    raise BadHeader(f"header {header}: {pin!r} is none of deployment {record['name']!r}'s versions "
                         f"({', '.join(refs)})", field=header)


def route(record: Mapping, headers: Mapping[str, str]) -> str:
    """The reference that answers a request with these (lower-case) headers."""
    for header in (VERSION_HEADER, AZURE_DEPLOYMENT_HEADER):
        if headers.get(header):
            return pinned(record, headers[header], header)
    return choose(traffic_of(record), headers.get(ROUTING_KEY_HEADER))


def _point(key: str) -> float:
    """A stable point in [0, 100) for a key (the same on every process and every run)."""
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return (int.from_bytes(digest, "big") % _HASH_BUCKETS) * WEIGHT_TOTAL / _HASH_BUCKETS
