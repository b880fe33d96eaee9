"""Shadows on the session API: a shadow that raises or is slow never changes the answer, and the live comparison
equals a recomputation from both versions' answers collected here."""

import uuid

import httpx
import pytest
from code_support import register_code
from harness import wait_for
from test_traffic import deploy, versions  # noqa: F401  (a model of two versions that score differently)

from batchsvc.scoring.sample import FIELDS, make_credit_risk

COMPARED_WITHIN_S = 30  # the shadow scores off the request path; its figures are written every 0.1 s


def comparison(client: httpx.Client, name: str) -> dict:
    response = client.get(f"/v1/deployments/{name}/shadow")
    assert response.status_code == 200, response.text
    return response.json()


def bodies(count: int) -> list[dict]:
    """`count` bodies of 1 to 3 rows each, all different."""
    frame = make_credit_risk(count * 3, seed=11)[FIELDS].astype(object)
    return [{"input_data": [{"fields": FIELDS, "values": frame.values[3 * i: 3 * i + 1 + i % 3].tolist()}]}
            for i in range(count)]


def test_a_shadow_that_raises_never_changes_the_answer(client, credit_model):
    # Given a deployment (label predictedLabel: the full path) whose shadow is a code model whose run() raises
    shadow = register_code(client, f"raises-{uuid.uuid4().hex[:6]}",
                           {"score.py": "def init():\n    pass\n\n\ndef run(batch):\n    raise RuntimeError('no')\n"},
                           None)
    name = deploy(client, model=credit_model, label_field="predictedLabel",
                  shadow={"model": f"{shadow['name']}@1", "percent": 100})
    sent = bodies(10)
    # When 10 requests are answered
    answers = [client.post(f"/v1/deployments/{name}/predictions", json=body) for body in sent]
    # Then each is the primary's answer, by the primary's version
    alone = [client.post(f"/v1/models/{credit_model}@1/predictions", json=body).json() for body in sent]
    assert [a.status_code for a in answers] == [200] * 10
    assert [a.json()["predictions"][0]["values"] for a in answers] == [x["predictions"][0]["values"] for x in alone]
    assert {a.headers["batchsvc-version"] for a in answers} == {f"{credit_model}@1"}
    # And the comparison counts 10 shadow errors, nothing compared; the deployment's log shows no error
    shown = wait_for(lambda: (c := comparison(client, name))["requests"] == 10 and c, COMPARED_WITHIN_S, 0.05,
                     "the shadow to fail 10 times")
    assert shown["errors"] == 10 and shown["compared"] == 0 and shown["model"] == f"{shadow['name']}@1"
    assert client.get(f"/v1/deployments/{name}").json()["counters"]["errors"] == 0


def test_a_slow_shadow_never_holds_the_answer(client, credit_model, tmp_path):
    # Given a shadow whose run() waits for a file that does not exist yet
    release = tmp_path / "release"
    script = ("import os, time\n\n\ndef init():\n    pass\n\n\ndef run(batch):\n"
              "    deadline = time.monotonic() + 60\n"
              f"    while not os.path.exists({str(release)!r}) and time.monotonic() < deadline:\n"
              "        time.sleep(0.01)\n"
              "    return ['late'] * len(batch)\n")
    shadow = register_code(client, f"slow-{uuid.uuid4().hex[:6]}", {"score.py": script}, None)
    name = deploy(client, model=credit_model, shadow={"model": f"{shadow['name']}@1", "percent": 100})
    body = bodies(1)[0]
    # When a request is answered
    answer = client.post(f"/v1/deployments/{name}/predictions", json=body)
    # Then it is the primary's answer, given while the shadow still waits
    assert answer.status_code == 200 and answer.json() == client.post(
        f"/v1/models/{credit_model}@1/predictions", json=body).json()
    assert comparison(client, name)["requests"] == 0
    # And once the file exists the shadow answers, and its disagreement is counted
    release.touch()
    shown = wait_for(lambda: (c := comparison(client, name))["compared"] == 1 and c, COMPARED_WITHIN_S, 0.05,
                     "the slow shadow to answer")
    assert shown["errors"] == 0 and shown["label_agreement"] == 0.0 and shown["rows"] == 1


def test_the_comparison_equals_a_recomputation_from_both_answers(client, versions):  # noqa: F811
    # Given version 1 serving, version 2 shadowing every request
    name = deploy(client, model=f"{versions}@1", shadow={"model": f"{versions}@2", "percent": 100})
    sent = bodies(30)
    # When 30 requests are answered, and both versions' answers are collected here
    primary = [client.post(f"/v1/deployments/{name}/predictions", json=body).json() for body in sent]
    shadowed = [client.post(f"/v1/models/{versions}@2/predictions", json=body).json() for body in sent]
    shown = wait_for(lambda: (c := comparison(client, name))["requests"] == 30 and c, COMPARED_WITHIN_S, 0.05,
                     "30 requests compared")
    # Then the figures are those recomputed from the pairs of answers
    pairs = [(a, b) for x, y in zip(primary, shadowed)
             for a, b in zip(x["predictions"][0]["values"], y["predictions"][0]["values"])]
    classes = client.get(f"/v1/models/{versions}").json()["versions"][0]["classes"]
    deltas = {str(c): [abs(a[1][k] - b[1][k]) for a, b in pairs] for k, c in enumerate(classes)}
    assert shown["compared"] == 30 and shown["errors"] == 0 and shown["rows"] == len(pairs) == 60
    assert shown["label_agreement"] == pytest.approx(sum(a[0] == b[0] for a, b in pairs) / len(pairs))
    assert shown["abs_delta_p"] == {c: {"mean": pytest.approx(sum(d) / len(d)), "max": pytest.approx(max(d))}
                                    for c, d in deltas.items()}
    assert 0 < shown["latency_ms"]["mean"] <= shown["latency_ms"]["max"]
    # And a new shadow starts its comparison from zero
    client.patch(f"/v1/deployments/{name}", json={"shadow": {"model": f"{versions}@1", "percent": 50}})
    assert comparison(client, name)["requests"] == 0


def test_the_comparison_equals_a_recomputation_from_the_captures(client, versions):  # noqa: F811
    # Given version 1 serving, version 2 shadowing and every request captured
    from test_captures import all_files, read_local
    name = deploy(client, model=f"{versions}@1", shadow={"model": f"{versions}@2", "percent": 100},
                  capture={"percent": 100})
    # When 20 requests are answered and all 20 compared
    for body in bodies(20):
        assert client.post(f"/v1/deployments/{name}/predictions", json=body).status_code == 200
    shown = wait_for(lambda: (c := comparison(client, name))["compared"] == 20 and c, COMPARED_WITHIN_S, 0.05,
                     "20 requests compared")
    # Then the captures hold each row twice under one request id: the answer given and the shadow's
    def table():
        found = read_local(all_files(client, name)).to_pandas()
        return [found] if found.shadow.sum() == shown["rows"] else None
    captured = wait_for(table, COMPARED_WITHIN_S, 0.2, "the shadow's answers captured")[0]
    given, shadowed = captured[~captured.shadow], captured[captured.shadow]
    assert set(given.version) == {1} and set(shadowed.version) == {2} and len(given) == len(shadowed)
    pairs = given.merge(shadowed, on=["request", "row"], suffixes=("", ".shadow"))
    assert len(pairs) == shown["rows"]
    # And the comparison recomputed from them is the one shown
    agree = (pairs["output.prediction"] == pairs["output.prediction.shadow"]).mean()
    assert shown["label_agreement"] == pytest.approx(agree)
    classes = client.get(f"/v1/models/{versions}").json()["versions"][0]["classes"]
    for k, label in enumerate(classes):
        deltas = [abs(a[k] - b[k]) for a, b in zip(pairs["output.probability"], pairs["output.probability.shadow"])]
        assert shown["abs_delta_p"][str(label)] == {"mean": pytest.approx(sum(deltas) / len(deltas)),
                                                   "max": pytest.approx(max(deltas))}
