"""Contained file access and inline limits, in process: inputs only under the data roots, inline size capped.

Moved here from tests/test_containment.py, which keeps what needs a served API or a worker: the control
job that reads a file inside a root (so the sentinel would show), and the bodies capped as they arrive.
The traversal cases run on the in-process app with keys; the sentinel sweep checks that app's jobs.
"""

import os
import uuid

import pytest

SENTINEL = f"SENTINEL-{uuid.uuid4().hex}"
TRAVERSALS = ["dotdot from a root", "dotdot from the working directory", "absolute outside", "encoded dotdot",
              "symlinked file in a root", "symlinked folder in a root", "NUL byte", "file URL", "home"]


@pytest.fixture(scope="module")
def secret(tmp_path_factory, inputs_dir):
    """A CSV outside every data root whose second column holds the sentinel; links to it inside a root."""
    outside = tmp_path_factory.mktemp("outside")
    path = outside / "secret.csv"
    path.write_text(f"a,note\n1.0,{SENTINEL}\n")
    tag = uuid.uuid4().hex[:6]
    (inputs_dir / f"link-{tag}.csv").symlink_to(path)
    (inputs_dir / f"dir-{tag}").symlink_to(outside, target_is_directory=True)
    return path, tag


def traversal(case: str, secret, inputs_dir) -> str:
    path, tag = secret
    return {"dotdot from a root": f"{inputs_dir}/../{path.parent.name}/secret.csv",
            "dotdot from the working directory": os.path.relpath(path),  # the app's cwd is this process's
            "absolute outside": str(path),
            "encoded dotdot": f"{inputs_dir}/%2e%2e/{path.parent.name}/secret.csv",
            "symlinked file in a root": f"{inputs_dir}/link-{tag}.csv",
            "symlinked folder in a root": f"{inputs_dir}/dir-{tag}/secret.csv",
            "NUL byte": f"{inputs_dir}/x.csv\x00/../../{path.parent.name}/secret.csv",
            "file URL": f"file://{path}",
            "home": f"~/../../{path}"}[case]


def job_ids(client) -> list[str]:
    return [j["id"] for j in client.get("/v1/jobs", params={"limit": 500}).json()["jobs"]]


@pytest.mark.parametrize("case", TRAVERSALS)
def test_input_path_outside_the_data_roots_is_refused_at_submit(keyed, secret, inputs_dir, case):
    with keyed.client("alice") as alice:
        # Given alice's jobs so far
        before = job_ids(alice)
        # When she names a file outside the roots, asking for every column back
        response = alice.post("/v1/jobs", json={"model": keyed.model, "output": {"passthrough": ["*"]},
                                                "input": {"path": traversal(case, secret, inputs_dir),
                                                          "format": "csv"}})
        # Then it is refused naming input.path, nothing of the file shows, and no job was made
        assert response.status_code == 422, response.text
        assert response.json()["error"]["field"] == "input.path" and SENTINEL not in response.text
        assert job_ids(alice) == before


def test_no_job_record_or_result_anywhere_holds_the_sentinel(keyed):
    with keyed.client("admin") as admin:
        for job in admin.get("/v1/jobs", params={"limit": 500}).json()["jobs"]:
            assert SENTINEL not in str(job)
            if job["status"] == "completed":
                assert SENTINEL not in admin.get(f"/v1/jobs/{job['id']}/results", params={"format": "csv"}).text


@pytest.mark.parametrize("given, setting, field", [
    ({"fields": [f"c{i}" for i in range(51)], "values": [[1.0] * 51]}, "BATCHSVC_MAX_INLINE_COLUMNS", "input"),
    ({"values": [[1.0] * 51]}, "BATCHSVC_MAX_INLINE_COLUMNS", "input"),
    ({"records": [{f"c{i}": 1.0 for i in range(51)}]}, "BATCHSVC_MAX_INLINE_COLUMNS", "input"),
    ({"fields": ["a", "b"], "values": [[1.0, "x" * 101]]}, "BATCHSVC_MAX_INLINE_STRING_CHARS", "input.values.0.1"),
    ({"fields": ["a" * 101], "values": [[1.0]]}, "BATCHSVC_MAX_INLINE_STRING_CHARS", "input.fields.0"),
    ({"records": [{"a": 1.0, "b": ["y" * 101]}]}, "BATCHSVC_MAX_INLINE_STRING_CHARS", "input.records.0.b.0"),
], ids=["fields", "row width", "record keys", "value", "field name", "nested value"])
def test_inline_input_over_a_size_limit_gets_413_naming_setting_and_place(keyed, given, setting, field):
    with keyed.client("alice") as alice:
        response = alice.post("/v1/jobs", json={"model": keyed.model, "input": given})
    assert response.status_code == 413, response.text
    error = response.json()["error"]
    assert setting in error["message"] and error["field"] == field
