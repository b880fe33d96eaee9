"""The choice of a deployment's version per request (jobs/routing.py), without processes: weights laid end to end,
sticky keys, pins and the Azure header's mapping."""

import pytest

from batchsvc.errors import BadHeader
from batchsvc.jobs.routing import AZURE_DEPLOYMENT_HEADER, VERSION_HEADER, choose, heaviest, route

SPLIT = {"risk@4": 10, "risk@3": 90}
RECORD = {"name": "dep", "model": "risk@3", "traffic": SPLIT, "shadow": {"model": "risk@canary", "percent": 100}}


def test_points_fall_on_the_weights_laid_end_to_end_in_sorted_order():
    # Given 90 for risk@3 and 10 for risk@4, sorted: risk@3 covers [0, 90), risk@4 [90, 100)
    assert [choose(SPLIT, draw=d) for d in (0.0, 89.99, 90.0, 99.99)] == ["risk@3", "risk@3", "risk@4", "risk@4"]
    # And a weight of 0 is never drawn, the heaviest is what `model` shows
    assert {choose({"a@1": 0, "a@2": 100}, draw=d) for d in (0.0, 50.0, 99.99)} == {"a@2"}
    assert heaviest(SPLIT) == "risk@3" and heaviest({"b@2": 50, "a@1": 50}) == "a@1"


def test_a_routing_key_always_gets_the_same_version_and_keys_spread_by_weight():
    keys = [f"customer-{i}" for i in range(2_000)]
    first = [route(RECORD, {"batchsvc-routing-key": k}) for k in keys]
    assert first == [route(RECORD, {"batchsvc-routing-key": k}) for k in keys]
    share = first.count("risk@4") / len(keys)
    assert 0.1 - 4 * (0.1 * 0.9 / len(keys)) ** 0.5 <= share <= 0.1 + 4 * (0.1 * 0.9 / len(keys)) ** 0.5


def test_a_pin_names_a_version_of_the_traffic_or_the_shadow_and_anything_else_is_refused_naming_the_header():
    assert route(RECORD, {VERSION_HEADER: "risk@4", "batchsvc-routing-key": "k"}) == "risk@4"
    assert route(RECORD, {VERSION_HEADER: "risk@canary"}) == "risk@canary"
    assert route(RECORD, {AZURE_DEPLOYMENT_HEADER: "4"}) == "risk@4"  # Azure's deployment name: the part after '@'
    assert route(RECORD, {AZURE_DEPLOYMENT_HEADER: "canary"}) == "risk@canary"
    for header, pin in [(VERSION_HEADER, "risk@5"), (VERSION_HEADER, "4"), (AZURE_DEPLOYMENT_HEADER, "blue")]:
        with pytest.raises(BadHeader) as refused:
            route(RECORD, {header: pin})
        assert refused.value.details["field"] == header and pin in refused.value.message
