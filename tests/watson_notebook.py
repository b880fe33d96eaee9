"""Run by tests/test_watson_lab.py inside a Watson ML client's venv: the code cells of the lab's batch-scoring
notebook (tests/ibm_lab/machinelearning-creditrisk-batchscoring.ipynb), in order, as a user fills them in: the
credentials, the space's and the deployment's names; `version` "5.0" (the notebook's "3.5" is refused by the
client itself); polling every 0.5 s instead of 5; the `!pip install` cell skipped (the venv has the client).
With ibm-watsonx-ai, the import names that package. Then it downloads the results asset the job wrote.

argv: a JSON file {url, username, password, space_name, deployment_name, client, results}; prints JSON."""

import json
import sys
import warnings
from pathlib import Path

LAB = Path(__file__).parent / "ibm_lab"
PLACEHOLDER = "'************'"


def cells(config: dict) -> list[str]:
    """The notebook's code cells with the user's edits."""
    notebook = json.loads((LAB / "machinelearning-creditrisk-batchscoring.ipynb").read_text())
    edits = {'"url": "************"': f'"url": {json.dumps(config["url"])}',
             '"username": "************"': f'"username": {json.dumps(config["username"])}',
             '"password" : "************"': f'"password" : {json.dumps(config["password"])}',
             '"version" : "3.5"': '"version" : "5.0"',
             f"DEPLOYMENT_SPACE_NAME = {PLACEHOLDER}": f"DEPLOYMENT_SPACE_NAME = {config['space_name']!r}",
             f"DEPLOYMENT_NAME = {PLACEHOLDER}": f"DEPLOYMENT_NAME = {config['deployment_name']!r}",
             "time.sleep(5)": "time.sleep(0.5)"}
    if config["client"] == "ibm_watsonx_ai":
        edits["from ibm_watson_machine_learning import APIClient"] = "from ibm_watsonx_ai import APIClient"
    sources = []
    for cell in notebook["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] != "code" or source.startswith("!"):
            continue
        for old, new in edits.items():
            source = source.replace(old, new)
        sources.append(source)
    return sources


def main(config: dict) -> dict:
    warnings.simplefilter("ignore")
    sys.path.insert(0, str(LAB))  # project_lib: Watson Studio's project files, here the lab's CSV files
    scope: dict = {}
    for source in cells(config):
        exec(compile(source, "notebook", "exec"), scope)
    client, job_details = scope["wml_client"], scope["job_details"]
    name = job_details["entity"]["scoring"]["output_data_reference"]["location"]["name"]
    assets = client.data_assets.get_details()["resources"]
    asset_id = next(a["metadata"]["guid"] for a in assets if a["metadata"]["name"] == name)
    client.data_assets.download(asset_id, config["results"])
    return {"space_id": scope["space_id"], "deployment_uid": scope["deployment_uid"], "job_uid": scope["job_uid"],
            "state": job_details["entity"]["scoring"]["status"]["state"], "results_asset": name,
            "batch_rows": len(scope["batch_set"])}


if __name__ == "__main__":
    print(json.dumps(main(json.load(open(sys.argv[1]))), default=str))
