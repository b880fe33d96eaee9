"""`batchsvc deployments traffic|shadow|history` against the live API: a split set, a shadow set, compared and
removed, each change in the history; a weight that is not REF=WEIGHT refused before any request."""

import json

import pytest
from click.testing import CliRunner
from harness import unique, wait_for

from batchsvc.scoring.sample import FIELDS, WATSON_ROW


@pytest.fixture
def cli(api_url):
    runner = CliRunner()
    return lambda *args: runner.invoke(main_command(), [str(a) for a in args], env={"BATCHSVC_API_URL": api_url})


def main_command():
    from batchsvc.cli.main import main
    return main


def test_traffic_shadow_and_history_from_the_cli(cli, client, credit_model):
    # Given a deployment of the model's version 1
    name = unique("cli-roll")
    assert cli("deployments", "create", name, "-m", f"{credit_model}@1").exit_code == 0
    # When its traffic is split between two references and a shadow is set
    split = cli("deployments", "traffic", name, f"{credit_model}@1=60", f"{credit_model}=40")
    assert split.exit_code == 0, split.output
    assert f"{name}: {credit_model}@1 60%, {credit_model} 40%" in split.stdout
    client.put(f"/v1/models/{credit_model}/aliases/shadowed", json={"version": 1})
    shadowed = cli("deployments", "shadow", name, f"{credit_model}@shadowed", "--percent", "100")
    assert shadowed.exit_code == 0 and f"shadow: {credit_model}@shadowed on 100% of requests" in shadowed.stdout
    # Then the record shows both, and a request is compared
    assert client.get(f"/v1/deployments/{name}").json()["traffic"] == {f"{credit_model}@1": 60, credit_model: 40}
    body = {"input_data": [{"fields": FIELDS, "values": [WATSON_ROW]}]}
    assert client.post(f"/v1/deployments/{name}/predictions", json=body).status_code == 200
    wait_for(lambda: json.loads(cli("deployments", "shadow", name, "--json").stdout)["compared"] == 1, 30, 0.05,
             "the request to be compared")
    shown = cli("deployments", "shadow", name).stdout
    assert "agreement:    100.00%" in shown and "1 compared, 1 rows, 0 errors, 0 dropped" in shown
    # And --off removes the shadow; the history lists each change, newest first (model stayed: the heaviest)
    assert "shadow: none" in cli("deployments", "shadow", name, "--off").stdout
    lines = cli("deployments", "history", name).stdout.splitlines()
    assert [line.split("  ")[2].split(":")[0] for line in lines] == ["shadow", "shadow", "traffic"]
    assert lines[-1].endswith(f"traffic: none -> {credit_model}@1=60, {credit_model}=40")


def test_a_weight_that_is_not_ref_equals_weight_is_refused(cli):
    result = cli("deployments", "traffic", "any", "credit-risk@3:90")
    assert result.exit_code == 2 and "'credit-risk@3:90' is not REF=WEIGHT" in result.output
