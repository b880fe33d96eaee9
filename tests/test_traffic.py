"""Traffic splits on the session API: weights honoured over 2,000 requests, pins (ours and Azure's header), sticky
routing keys, refs checked at create and PATCH, every PATCH in the deployment's history; and a PATCH of traffic
seen by both processes of a two-process API within a second."""

import uuid

import httpx
import pytest
from harness import register, wait_for
from test_online_processes import model, two  # noqa: F401  (an API of two processes, a model of two versions there)

from batchsvc.scoring.sample import FIELDS, WATSON_ROW, make_credit_risk, train_credit_risk

BODY = {"input_data": [{"fields": FIELDS, "values": [WATSON_ROW]}]}
REQUESTS = 2_000
SIGMAS = 4  # the share of a version may stray this many binomial standard deviations from its weight


@pytest.fixture(scope="module")
def versions(client, credit_estimator) -> str:
    """A model of two versions that score the same row differently, each with a drift baseline; returns its name."""
    name, training = f"split-{uuid.uuid4().hex[:8]}", make_credit_risk(2_000, seed=21)[FIELDS]
    register(client, name, credit_estimator, baseline=training)
    register(client, name, train_credit_risk(make_credit_risk(500, seed=99)), baseline=training)
    return name


def deploy(client: httpx.Client, **fields) -> str:
    name = f"dep-{uuid.uuid4().hex[:8]}"
    response = client.post("/v1/deployments", json={"name": name, **fields})
    assert response.status_code == 201, response.text
    return name


def answered_by(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    return response.headers["batchsvc-version"]


def test_weights_are_honoured_within_binomial_bounds_over_2000_requests(client, versions):
    # Given a deployment sending 90% to version 1 and 10% to version 2
    name = deploy(client, traffic={f"{versions}@1": 90, f"{versions}@2": 10})
    record = client.get(f"/v1/deployments/{name}").json()
    assert record["model"] == f"{versions}@1" and record["traffic"] == {f"{versions}@1": 90, f"{versions}@2": 10}
    # When 2,000 one-row requests are sent
    answers = [answered_by(client.post(f"/v1/deployments/{name}/predictions", json=BODY)) for _ in range(REQUESTS)]
    # Then version 2 answered a share within 4 standard deviations of 10%, version 1 the rest
    bound = SIGMAS * (REQUESTS * 0.1 * 0.9) ** 0.5
    assert abs(answers.count(f"{versions}@2") - REQUESTS * 0.1) <= bound, answers.count(f"{versions}@2")
    assert answers.count(f"{versions}@1") + answers.count(f"{versions}@2") == REQUESTS
    # And the log's entries name the version that answered each request
    logs = client.get(f"/v1/deployments/{name}/logs", params={"limit": 1000}).json()["logs"]
    assert [e["version"] for e in logs] == [int(a.rsplit("@", 1)[1]) for a in reversed(answers[-1000:])]


def test_a_pinned_version_answers_and_a_bad_pin_is_refused_naming_the_header(client, versions):
    # Given a 90/10 split
    name = deploy(client, traffic={f"{versions}@1": 90, f"{versions}@2": 10})
    path = f"/v1/deployments/{name}/predictions"
    alone = client.post(f"/v1/models/{versions}@2/predictions", json=BODY).json()
    # When every request pins version 2, Then version 2 answers each, with its own answer
    for _ in range(20):
        pinned = client.post(path, json=BODY, headers={"batchsvc-version": f"{versions}@2"})
        assert answered_by(pinned) == f"{versions}@2" and pinned.json() == alone
    # And on the Azure route, Azure's deployment header names the version after '@'
    azure = client.post(f"/api/v1/service/{name}/score", json={"data": [WATSON_ROW]},
                        headers={"azureml-model-deployment": "2"})
    assert answered_by(azure) == f"{versions}@2"
    assert azure.json() == [alone["predictions"][0]["values"][0][0]]
    # When a pin names a version the deployment does not serve, Then 400 naming the header
    refused = client.post(path, json=BODY, headers={"batchsvc-version": f"{versions}@3"})
    assert refused.status_code == 400 and refused.json()["error"]["field"] == "batchsvc-version", refused.text


def test_a_routing_key_always_gets_one_version_and_keys_spread(client, versions):
    # Given a 50/50 split
    name = deploy(client, traffic={f"{versions}@1": 50, f"{versions}@2": 50})
    path = f"/v1/deployments/{name}/predictions"

    def version_for(key: str) -> str:
        return answered_by(client.post(path, json=BODY, headers={"batchsvc-routing-key": key}))
    # When 40 customers send 5 requests each
    seen = {key: {version_for(key) for _ in range(5)} for key in (f"customer-{i}" for i in range(40))}
    # Then each customer saw one version, and both versions served some customers
    assert all(len(versions_seen) == 1 for versions_seen in seen.values()), seen
    assert set().union(*seen.values()) == {f"{versions}@1", f"{versions}@2"}


def test_references_are_checked_at_create_and_patch_naming_the_bad_one(client, versions):
    bad = [({"traffic": {f"{versions}@1": 90, "no-such-model@1": 10}}, 404, "traffic.no-such-model@1"),
           ({"traffic": {f"{versions}@1": 90, f"{versions}@2": 9}}, 422, "traffic"),
           ({"traffic": {f"{versions}@1": 100}, "model": f"{versions}@1"}, 422, "traffic"),
           ({"model": f"{versions}@1", "shadow": {"model": "no-such-model@1", "percent": 5}}, 404, "shadow.model")]
    for fields, status, field in bad:
        response = client.post("/v1/deployments", json={"name": f"bad-{uuid.uuid4().hex[:8]}", **fields})
        assert response.status_code == status and response.json()["error"]["field"] == field, response.text
    name = deploy(client, model=f"{versions}@1")
    for fields, status, field in bad:
        response = client.patch(f"/v1/deployments/{name}", json=fields)
        assert response.status_code == status and response.json()["error"]["field"] == field, response.text
    assert client.get(f"/v1/deployments/{name}/history").json()["history"] == []  # nothing changed


def test_every_patch_is_in_the_history_newest_first(client, versions):
    # Given a deployment of version 1
    name = deploy(client, model=f"{versions}@1")
    split = {f"{versions}@1": 90, f"{versions}@2": 10}
    # When its traffic, its shadow, its description and then its model are patched
    client.patch(f"/v1/deployments/{name}", json={"traffic": split})
    client.patch(f"/v1/deployments/{name}", json={"shadow": {"model": f"{versions}@2", "percent": 20}})
    client.patch(f"/v1/deployments/{name}", json={"description": "canary"})
    last = client.patch(f"/v1/deployments/{name}", json={"model": f"{versions}@2"}).json()
    # Then the model alone clears the split, and the history has each change, newest first, by whom and when
    assert last["model"] == f"{versions}@2" and last["traffic"] is None
    history = client.get(f"/v1/deployments/{name}/history").json()["history"]
    assert [h["changes"] for h in history] == [
        {"model": {"from": f"{versions}@1", "to": f"{versions}@2"}, "traffic": {"from": split, "to": None}},
        {"description": {"from": "", "to": "canary"}},
        {"shadow": {"from": None, "to": {"model": f"{versions}@2", "percent": 20}}},
        {"traffic": {"from": None, "to": split}}]
    assert all(h["by"] is None for h in history)  # auth is off on the session API: nobody is named
    assert history[0]["time"] >= history[-1]["time"]
    assert client.get(f"/v1/deployments/{name}/history", params={"limit": 1}).json()["history"] == history[:1]
    assert client.get("/v1/deployments/no-such-deployment/history").status_code == 404


def test_a_patch_of_traffic_is_seen_by_both_processes_within_a_second(two, model):  # noqa: F811
    # Given a deployment all on version 1, served (and kept in memory) by both processes
    name = f"dep-{uuid.uuid4().hex[:6]}"
    with two.client() as admin:
        assert admin.post("/v1/deployments", json={"name": name, "traffic": {f"{model}@1": 100}}).status_code == 201
    path = f"/v1/deployments/{name}/predictions"

    def versions_on_fresh_connections() -> set[str]:
        found = set()
        for _ in range(12):  # new connections: the kernel spreads them over both processes
            with two.client() as c:
                found.add(answered_by(c.post(path, json=BODY)))
        return found
    assert versions_on_fresh_connections() == {f"{model}@1"}
    # When one PATCH moves all traffic to version 2
    with two.client() as admin:
        assert admin.patch(f"/v1/deployments/{name}", json={"traffic": {f"{model}@2": 100}}).status_code == 200
    # Then within a second every process answers with version 2
    wait_for(lambda: versions_on_fresh_connections() == {f"{model}@2"}, 1.0, 0.01, "both processes to see the PATCH")
    # And the history names the key that made the change
    with two.client() as admin:
        assert admin.get(f"/v1/deployments/{name}/history").json()["history"][0]["by"] == "admin"


def test_the_watson_and_inference_protocol_routes_are_routed_and_pinned_alike(client, versions):
    # Given a split whose version 2 gets nothing by chance
    name = deploy(client, traffic={f"{versions}@1": 100, f"{versions}@2": 0})
    record = client.get(f"/v1/deployments/{name}").json()
    pin = {"batchsvc-version": f"{versions}@2"}
    oip = {"inputs": [{"name": f, "datatype": "BYTES" if isinstance(v, str) else "FP64", "shape": [1], "data": [v]}
                      for f, v in zip(FIELDS, WATSON_ROW)], "parameters": {"content_type": "pd"}}
    watson = f"/ml/v4/deployments/{record['id']}/predictions?version=2020-09-01"
    for path, body in [(watson, BODY), (f"/v2/models/{name}/infer", oip)]:
        # When a request comes unpinned, and then pinned to version 2, Then each version says it answered
        assert answered_by(client.post(path, json=body)) == f"{versions}@1"
        assert answered_by(client.post(path, json=body, headers=pin)) == f"{versions}@2"
    assert client.post(f"/v2/models/{name}/infer", json=oip, headers=pin).json()["model_version"] == "2"
