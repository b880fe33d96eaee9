"""A deployment's drift window: its captured requests of the last hour against the baseline of each version that
answered them, through the session's API process (versions registered with a baseline of training rows)."""

from harness import register, unique

from batchsvc.scoring.sample import FIELDS, make_credit_risk

SHIFTED = ("LoanAmount", "LoanPurpose")


def register_with_baseline(client, name: str, estimator) -> dict:
    """A new version of `name` whose drift baseline is 2,000 training rows."""
    meta = register(client, name, estimator, baseline=make_credit_risk(2_000, seed=21)[FIELDS], force="true")
    assert meta["baseline"], meta
    return meta


def shifted_rows(rows: int, seed: int) -> list[dict]:
    """Credit rows with LoanAmount tripled and a LoanPurpose no training row had; the rest as in training."""
    frame = make_credit_risk(rows, seed=seed)[FIELDS]
    frame["LoanAmount"] = frame["LoanAmount"] * 3
    frame["LoanPurpose"] = "spaceship"
    return frame.to_dict(orient="records")


def score(client, deployment: str, records: list[dict]) -> None:
    """The records scored 100 a request."""
    for start in range(0, len(records), 100):
        response = client.post(f"/v1/deployments/{deployment}/predictions",
                               json={"records": records[start:start + 100]})
        assert response.status_code == 200, response.text


def test_a_drift_window_names_the_shifted_features_per_version(client, credit_estimator):
    # Given a deployment capturing every request, over version 1 of a model with a baseline
    name = unique("drifty")
    register_with_baseline(client, name, credit_estimator)
    deployment = unique("drift-dep")
    created = client.post("/v1/deployments", json={"name": deployment, "model": f"{name}@1",
                                                    "capture": {"percent": 100}})
    assert created.status_code == 201, created.text
    # When version 1 answers 400 rows as in training, then version 2 answers 400 shifted rows
    score(client, deployment, make_credit_risk(400, seed=22)[FIELDS].to_dict(orient="records"))
    register_with_baseline(client, name, credit_estimator)
    assert client.patch(f"/v1/deployments/{deployment}", json={"model": f"{name}@2"}).status_code == 200
    score(client, deployment, shifted_rows(400, seed=23))
    response = client.get(f"/v1/deployments/{deployment}/drift", params={"window": "1h"})
    # Then the window holds both versions' rows; version 2 drifted in exactly the shifted features, version 1 not
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["rows"] == 800 and report["unanswered_rows"] == 0
    versions = {v["version"]: v for v in report["versions"]}
    assert versions[1]["rows"] == versions[2]["rows"] == 400
    assert versions[1]["drifted"] == [] and sorted(versions[2]["drifted"]) == sorted(SHIFTED)
    assert sorted(report["drifted"]) == sorted(SHIFTED)
    assert versions[2]["features"]["LoanPurpose"]["unseen_share"] == 1.0
    assert versions[2]["features"]["LoanPurpose"]["unseen"] == {"spaceship": 400}
    assert versions[2]["features"]["LoanAmount"]["psi"] > 0.2 > versions[1]["features"]["LoanAmount"]["psi"]


def test_a_window_is_checked_and_an_empty_window_reports_no_rows(client, credit_model):
    # Given a deployment that captured nothing yet
    deployment = unique("drift-empty")
    created = client.post("/v1/deployments", json={"name": deployment, "model": credit_model,
                                                    "capture": {"percent": 100}})
    assert created.status_code == 201, created.text
    # Then its window is empty, a bad window is refused naming it, and an unknown deployment is a 404
    report = client.get(f"/v1/deployments/{deployment}/drift", params={"window": "15m"}).json()
    assert (report["rows"], report["versions"], report["drifted"]) == (0, [], [])
    bad = client.get(f"/v1/deployments/{deployment}/drift", params={"window": "1 hour"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "window"
    assert client.get(f"/v1/deployments/{unique('none')}/drift").status_code == 404
