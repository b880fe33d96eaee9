"""`batchsvc deployments` against the live API: create, list, show, predict (a CSV file or --record pairs),
logs with the engine and errors, delete; tables that fit 80 columns."""

import json

import pandas as pd
import pytest
from click.testing import CliRunner
from harness import ROOT, unique

from batchsvc.cli.main import main
from batchsvc.scoring.sample import FIELDS, WATSON_ROW


@pytest.fixture
def cli(api_url):
    runner = CliRunner()
    return lambda *args, columns=120: runner.invoke(main, [str(a) for a in args],
                                                    env={"BATCHSVC_API_URL": api_url, "COLUMNS": str(columns)})


@pytest.fixture
def deployment(cli, credit_model) -> str:
    name = unique("cli-dep")
    created = cli("deployments", "create", name, "--model", credit_model, "--description", "from the CLI")
    assert created.exit_code == 0, created.output
    return name


def test_create_shows_the_state_the_version_served_and_the_scoring_url(cli, api_url, credit_model):
    name = unique("cli-dep")
    # When a deployment is created from the CLI
    result = cli("deployments", "create", name, "-m", credit_model)
    # Then it is ready, serves version 1 and names its scoring URL
    assert result.exit_code == 0, result.output
    assert "state:        ready" in result.stdout
    assert f"serving:      {credit_model}@1" in result.stdout
    assert f"POST {api_url}/v1/deployments/{name}/predictions" in result.stdout


def test_list_fits_80_columns_with_name_state_serving_and_counts(cli, deployment, credit_model):
    result = cli("deployments", "list", columns=80)
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    line = next(line for line in result.stdout.splitlines() if line.startswith(deployment))
    assert line.split()[:5] == [deployment, "ready", f"{credit_model}@1", "0", "0"]


def test_predict_a_csv_file_prints_one_row_per_input_row_with_the_class_probabilities(cli, client, deployment,
                                                                                        tmp_path):
    # Given a CSV of three rows here
    rows = pd.read_parquet(ROOT / "sample_data" / "credit_risk.parquet").head(3)
    rows.to_csv(tmp_path / "three.csv", index=False)
    # When it is scored with the deployment
    result = cli("deployments", "predict", deployment, "--input", tmp_path / "three.csv")
    # Then a table shows each row's prediction and P(class) columns, the API's answer for the same rows
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ROW", "prediction", "P(No", "Risk)", "P(Risk)"]
    answer = client.post(f"/v1/deployments/{deployment}/predictions",
                         json={"records": json.loads(rows[FIELDS].to_json(orient="records"))}).json()
    expected = answer["predictions"][0]["values"]
    shown = [line.split() for line in lines[2:5]]
    assert [s[0] for s in shown] == ["1", "2", "3"]
    assert [" ".join(s[1:-2]) for s in shown] == [v[0] for v in expected]
    assert [float(s[-1]) for s in shown] == [round(v[1][1], 4) for v in expected]


def test_predict_one_record_from_pairs_and_json(cli, deployment):
    pairs = [f"--record={f}={v}" for f, v in zip(FIELDS, WATSON_ROW)]
    result = cli("deployments", "predict", deployment, *pairs, "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["fields"] == ["prediction", "probability"] and len(answer["values"]) == 1


def test_a_bad_value_is_refused_naming_the_column_and_the_log_shows_it_with_the_engine(cli, deployment):
    # Given a row whose LoanAmount is not a number, then a good row
    pairs = [f"--record={f}={'lots' if f == 'LoanAmount' else v}" for f, v in zip(FIELDS, WATSON_ROW)]
    bad = cli("deployments", "predict", deployment, *pairs)
    good = cli("deployments", "predict", deployment, *[f"-r{f}={v}" for f, v in zip(FIELDS, WATSON_ROW)])
    # Then the bad one exits 4 naming the column; the log lists both, newest first, with the engine that scored
    assert bad.exit_code == 4 and "LoanAmount" in bad.stderr
    assert good.exit_code == 0, good.output
    logs = cli("deployments", "logs", deployment, columns=160)
    lines = [line for line in logs.stdout.splitlines() if " 200 " in line or " 422 " in line]
    assert [(" 200 " in line, "onnx" in line) for line in lines] == [(True, True), (False, False)]
    assert "LoanAmount" in lines[1]
    shown = cli("deployments", "show", deployment)
    assert "2 (2 rows, 1 errors)" in shown.stdout


def test_predict_needs_exactly_one_kind_of_input(cli, deployment):
    result = cli("deployments", "predict", deployment)
    assert result.exit_code == 2 and "--input FILE.csv or --record" in result.stderr


def test_delete_removes_the_deployment(cli, client, deployment):
    assert cli("deployments", "delete", deployment, "--yes").exit_code == 0
    assert client.get(f"/v1/deployments/{deployment}").status_code == 404
    assert cli("deployments", "show", deployment).exit_code == 4
