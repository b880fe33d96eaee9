"""Online predictions on an API of two processes (`--workers 2`) that keep deployments, versions and keys in
memory: an alias moved, a key revoked, a deployment deleted are seen by both within a second; a model registered
(compiled and verified) while 8 threads score leaves every request answered and no process killed."""

import threading
import uuid
from dataclasses import dataclass

import httpx
import pytest
from harness import register, start_api, wait_for
from secure import key_store

from batchsvc.scoring.sample import FIELDS, WATSON_ROW, make_credit_risk, train_credit_risk

SEEN_WITHIN_S = 1.0
FRESH_CONNECTIONS = 12  # per check: new connections spread over both processes
BODY = {"input_data": [{"fields": FIELDS, "values": [WATSON_ROW]}]}


@dataclass
class TwoProcesses:
    url: str
    env: dict
    namespace: str
    admin: str  # an admin key
    log: object

    def client(self, key: str | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {key or self.admin}"}, timeout=60)


@pytest.fixture(scope="module")
def two(env, tmp_path_factory):
    namespace = f"two-{uuid.uuid4().hex[:8]}"
    penv = {**env, "BATCHSVC_NAMESPACE": namespace}
    admin = key_store(env, namespace).create("admin", "admin")[1]
    log = tmp_path_factory.mktemp("two") / "api.log"
    api, url = start_api(penv, log, workers=2)
    yield TwoProcesses(url, penv, namespace, admin, log)
    api.stop()


def fresh_answers(two: TwoProcesses, path: str, key: str | None = None) -> list[httpx.Response]:
    """One request per new connection (the kernel spreads connections over both processes)."""
    answers = []
    for _ in range(FRESH_CONNECTIONS):
        with two.client(key) as c:
            answers.append(c.post(path, json=BODY))
    return answers


def seen_by_all(two: TwoProcesses, path: str, check, key: str | None = None) -> None:
    """Within SEEN_WITHIN_S, a round of requests on new connections all pass `check`."""
    wait_for(lambda: all(check(r) for r in fresh_answers(two, path, key)), SEEN_WITHIN_S, 0.01,
             "every API process to see the change")


def probability(response: httpx.Response) -> list:
    assert response.status_code == 200, response.text
    return response.json()["predictions"][0]["values"][0][1]


@pytest.fixture(scope="module")
def model(two, credit_estimator) -> str:
    name = f"credit-{uuid.uuid4().hex[:6]}"
    with two.client() as admin:
        register(admin, name, credit_estimator)
        register(admin, name, train_credit_risk(make_credit_risk(500, seed=99)))
        assert admin.put(f"/v1/models/{name}/aliases/production", json={"version": 1}).status_code == 200
    return name


def deploy(two: TwoProcesses, model: str) -> str:
    name = f"dep-{uuid.uuid4().hex[:6]}"
    with two.client() as admin:
        assert admin.post("/v1/deployments", json={"name": name, "model": model}).status_code == 201
    return f"/v1/deployments/{name}/predictions"


def test_an_alias_moved_is_followed_by_both_processes_within_a_second(two, model):
    # Given a deployment over the alias, served (and kept in memory) by both processes
    path = deploy(two, f"{model}@production")
    first = {str(probability(r)) for r in fresh_answers(two, path)}
    assert len(first) == 1
    # When the alias moves to version 2
    with two.client() as admin:
        admin.put(f"/v1/models/{model}/aliases/production", json={"version": 2})
    # Then within a second every process answers with version 2
    seen_by_all(two, path, lambda r: str(probability(r)) not in first)


def test_a_revoked_key_and_its_token_are_refused_by_both_processes_within_a_second(two, model):
    # Given a scorer key and its token, both accepted by both processes
    store = key_store(two.env, two.namespace)
    key = store.create("scorer", f"scorer-{uuid.uuid4().hex[:6]}")[1]
    path = deploy(two, model)
    with two.client(key) as c:
        token = c.post("/v1/token").json()["token"]
    assert all(r.status_code == 200 for r in fresh_answers(two, path, key) + fresh_answers(two, path, token))
    # When the key is revoked (as `batchsvc keys revoke` does it, straight in Redis)
    store.revoke(next(k["name"] for k in store.list() if key.split("_")[1] == k["id"]))
    # Then within a second the key and its token get 401 from every process
    seen_by_all(two, path, lambda r: r.status_code == 401, key)
    seen_by_all(two, path, lambda r: r.status_code == 401, token)


def test_a_deleted_deployment_is_gone_from_both_processes_within_a_second(two, model):
    path = deploy(two, model)
    assert all(r.status_code == 200 for r in fresh_answers(two, path))
    with two.client() as admin:
        assert admin.delete(path.removesuffix("/predictions")).status_code == 204
    seen_by_all(two, path, lambda r: r.status_code == 404)


def test_registering_a_model_while_8_threads_score_leaves_every_request_answered(two, model, credit_estimator):
    # Given 8 threads scoring one row after another on keep-alive connections
    path, stop, outcomes = deploy(two, model), threading.Event(), []

    def score() -> None:
        with two.client() as c:
            while not stop.is_set():
                try:
                    outcomes.append(c.post(path, json=BODY).status_code)
                except httpx.HTTPError as exc:
                    outcomes.append(repr(exc))

    threads = [threading.Thread(target=score) for _ in range(8)]
    for t in threads:
        t.start()
    try:
        wait_for(lambda: len(outcomes) >= 16, 30, 0.01, "the scoring threads to get going")
        # When a new model is registered (its engine compiled and verified) meanwhile, twice over
        for _ in range(2):
            with two.client() as admin:
                registered = register(admin, f"reg-{uuid.uuid4().hex[:6]}", credit_estimator)
            assert registered["engine"]["chosen"] == "onnx"
    finally:
        stop.set()
        for t in threads:
            t.join()
    # Then every request was answered 200, and no API process was killed on the way
    assert outcomes and set(outcomes) == {200}, {o for o in outcomes if o != 200}
    assert "died" not in two.log.read_text()
