"""Keys per deployment, as Azure ML's services have them (on the API with auth on): a primary and a secondary key
that score that deployment and nothing else, regenerated one at a time, and tokens limited to the deployment."""

import httpx
import pytest
from code_support import make_zip, post_zip
from harness import unique

SCRIPT = {"score.py": "import json\n\ndef init():\n    pass\n\n\ndef run(raw_data):\n    return json.loads(raw_data)\n"}
BODY = b'{"hello": "azure"}'


@pytest.fixture(scope="module")
def two_deployments(secure) -> list[str]:
    """Two deployments of one entry script, made by the admin."""
    names = []
    with secure.client("admin") as admin:
        model = unique("keyed")
        assert post_zip(admin, model, make_zip(SCRIPT)).status_code == 201
        for _ in range(2):
            created = admin.post("/v1/deployments", json={"name": unique("keyed-svc"), "model": model})
            assert created.status_code == 201, created.text
            names.append(created.json()["name"])
    return names


def score(secure, deployment: str, credential: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {credential}"} if credential else {}
    with secure.client(None) as anyone:
        return anyone.post(f"/api/v1/service/{deployment}/score", content=BODY, headers=headers)


def list_keys(secure, deployment: str) -> dict:
    with secure.client("admin") as admin:
        answer = admin.post(f"/v1/deployments/{deployment}/listkeys")
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_both_keys_score_their_deployment_and_no_other(secure, two_deployments):
    # Given the keys of deployment A
    a, b = two_deployments
    keys = list_keys(secure, a)
    assert set(keys) == {"primaryKey", "secondaryKey"} and keys["primaryKey"] != keys["secondaryKey"]
    # Then each scores A, answering as the script does
    for key in keys.values():
        answer = score(secure, a, key)
        assert answer.status_code == 200 and answer.json() == {"hello": "azure"}
    # And neither scores B, nor any native route, and no key at all is refused
    assert score(secure, b, keys["primaryKey"]).status_code == 401
    with secure.client(None) as anyone:
        native = anyone.get("/v1/jobs", headers={"Authorization": f"Bearer {keys['primaryKey']}"})
    assert native.status_code == 401
    assert score(secure, a, None).status_code == 401
    # And listkeys shows the same keys again
    assert list_keys(secure, a) == keys


def test_regenerating_one_key_kills_it_at_once_and_keeps_the_other(secure, two_deployments):
    a = two_deployments[0]
    before = list_keys(secure, a)
    # When the primary key is regenerated
    with secure.client("admin") as admin:
        after = admin.post(f"/v1/deployments/{a}/regenerateKeys", json={"keyType": "Primary"}).json()
    # Then the old primary is refused at once, the secondary still scores, and so does the new primary
    assert after["secondaryKey"] == before["secondaryKey"] and after["primaryKey"] != before["primaryKey"]
    assert score(secure, a, before["primaryKey"]).status_code == 401
    assert score(secure, a, before["secondaryKey"]).status_code == 200
    assert score(secure, a, after["primaryKey"]).status_code == 200


def test_a_token_scores_its_deployment_only(secure, two_deployments):
    a, b = two_deployments
    key = list_keys(secure, a)["secondaryKey"]
    # When the deployment's key asks for a token
    with secure.client(None) as anyone:
        issued = anyone.post(f"/v1/deployments/{a}/token", headers={"Authorization": f"Bearer {key}"})
    assert issued.status_code == 200, issued.text
    token = issued.json()
    assert token["refreshAfter"] < token["expiryOn"] and token["tokenType"] == "Bearer"
    # Then it scores that deployment, not the other, and is no API token elsewhere
    assert score(secure, a, token["accessToken"]).status_code == 200
    assert score(secure, b, token["accessToken"]).status_code == 401
    with secure.client(None) as anyone:
        assert anyone.get("/v1/models", headers={"Authorization": f"Bearer {token['accessToken']}"}).status_code == 401


def test_api_keys_keep_working_and_roles_hold(secure, two_deployments):
    a = two_deployments[0]
    assert score(secure, a, secure.keys["alice"]).status_code == 200  # a submitter may score
    assert score(secure, a, secure.keys["reader"]).status_code == 403  # a reader may not
    with secure.client("alice") as alice:
        assert alice.post(f"/v1/deployments/{a}/listkeys").status_code == 403  # keys are the admin's
        refused = alice.post(f"/v1/deployments/{a}/regenerateKeys", json={"keyType": "Tertiary"})
    assert refused.status_code == 403
    with secure.client("admin") as admin:
        bad = admin.post(f"/v1/deployments/{a}/regenerateKeys", json={"keyType": "Tertiary"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "keyType"


def test_cli_shows_and_regenerates_a_deployments_keys(secure, two_deployments):
    import json

    from click.testing import CliRunner

    from batchsvc.cli.main import main
    b = two_deployments[1]
    env = {"BATCHSVC_API_URL": secure.url, "BATCHSVC_API_KEY": secure.keys["admin"]}
    # When an admin lists the keys, then regenerates the secondary one
    shown = CliRunner().invoke(main, ["deployments", "keys", b, "--json"], env=env)
    assert shown.exit_code == 0, shown.output
    before = json.loads(shown.output)
    renewed = CliRunner().invoke(main, ["deployments", "regenerate-key", b, "--key-type", "secondary"], env=env)
    # Then the table shows the same primary and a new secondary, which scores while the old one is refused
    assert renewed.exit_code == 0, renewed.output
    lines = dict(line.split() for line in renewed.output.strip().splitlines())
    assert lines["primary"] == before["primaryKey"] and lines["secondary"] != before["secondaryKey"]
    assert score(secure, b, lines["secondary"]).status_code == 200
    assert score(secure, b, before["secondaryKey"]).status_code == 401
    # And a key of no admin gets the API's refusal as one line
    refused = CliRunner().invoke(main, ["deployments", "keys", b], env={**env, "BATCHSVC_API_KEY": secure.keys["bob"]})
    assert refused.exit_code != 0 and "admin" in refused.output
