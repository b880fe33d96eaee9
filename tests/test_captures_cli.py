"""`batchsvc deployments create --capture`, `captures` and `drift` against the live API."""

import json

import pytest
from click.testing import CliRunner
from harness import unique

from batchsvc.cli.main import main
from batchsvc.scoring.sample import FIELDS, make_credit_risk


@pytest.fixture
def cli(api_url):
    runner = CliRunner()
    return lambda *args, columns=120: runner.invoke(main, [str(a) for a in args],
                                                    env={"BATCHSVC_API_URL": api_url, "COLUMNS": str(columns)})


def test_the_cli_creates_a_capturing_deployment_lists_its_captures_and_shows_its_drift(cli, client, credit_model):
    # Given a deployment created from the CLI capturing every request, which answered 3 rows
    name = unique("cli-cap")
    created = cli("deployments", "create", name, "-m", credit_model, "--capture", 100)
    assert created.exit_code == 0, created.output
    assert "capture:      100% of requests" in created.stdout
    records = make_credit_risk(3, seed=5)[FIELDS].to_dict(orient="records")
    assert client.post(f"/v1/deployments/{name}/predictions", json={"records": records}).status_code == 200
    # When its captures and its drift are asked for
    listed = cli("deployments", "captures", name, columns=400)
    as_json = json.loads(cli("deployments", "captures", name, "--json").stdout)
    drift = cli("deployments", "drift", name, "--window", "1h")
    # Then the one file is shown with its 3 rows and path, and the window counts its 3 rows (no baseline)
    assert listed.exit_code == 0, listed.output
    path = as_json["captures"][0]["path"]
    line = next(line for line in listed.stdout.splitlines() if path in line)
    assert " 3 " in line and len(as_json["captures"]) == 1
    assert drift.exit_code == 0, drift.output
    assert f"{name}: 3 captured rows" in drift.stdout
    assert f"{credit_model}@1: 3 rows; no baseline to compare with" in drift.stdout


def test_a_bad_window_is_refused_naming_it(cli, credit_model):
    name = unique("cli-cap")
    assert cli("deployments", "create", name, "-m", credit_model).exit_code == 0
    result = cli("deployments", "drift", name, "--window", "soon")
    assert result.exit_code != 0 and "window" in result.output
