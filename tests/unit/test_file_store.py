"""The file store's rules that need no server: roots split, URL containment, atomic writes, scrubbed errors."""

import pytest

from batchsvc.errors import ConfigError, PathNotAllowed, StorageError
from batchsvc.settings import Settings, load_settings, split_roots
from batchsvc.storage.files import atomic_file, locate, resolve_input
from batchsvc.storage.files.inputs import inside
from batchsvc.storage.files.problems import storage_errors


def test_a_colon_that_begins_a_url_belongs_to_it():
    assert split_roots("s3://in/allowed:s3://out:/srv/data") == ["s3://in/allowed", "s3://out", "/srv/data"]


def test_a_url_root_is_kept_as_written_and_a_foreign_scheme_stops_the_start(monkeypatch):
    assert Settings(data_roots="s3://in/x:/tmp").roots == ["s3://in/x", "/tmp"]
    monkeypatch.setenv("BATCHSVC_DATA_DIR", "gs://bucket/var")
    with pytest.raises(ConfigError, match="BATCHSVC_DATA_DIR"):
        load_settings()


@pytest.mark.parametrize(("where", "root", "expected"), [
    ("s3://in/allowed/a.csv", "s3://in/allowed", True),
    ("s3://in/allowed", "s3://in/allowed", True),
    ("s3://in/allowed-not/a.csv", "s3://in/allowed", False),
    ("s3://other/allowed/a.csv", "s3://in/allowed", False),
    ("s3://in/a.csv", "s3://in", True),
    ("/srv/data/a.csv", "s3://srv/data", False),
])
def test_a_url_is_inside_a_root_only_on_its_bucket_and_under_its_prefix(where, root, expected):
    assert inside(locate(where), locate(root)) is expected


def test_dot_dot_in_a_url_is_refused_before_it_is_resolved():
    with pytest.raises(PathNotAllowed, match="'..'"):
        resolve_input("s3://in/allowed/../secret/a.csv", ["s3://in/allowed"])


def test_a_write_that_fails_leaves_no_file_and_no_temporary(tmp_path):
    final = locate(tmp_path / "out" / "result.parquet")
    with pytest.raises(RuntimeError), atomic_file(final) as f:
        f.write(b"half a file")
        raise RuntimeError("the writer died")
    assert not final.exists() and list((tmp_path / "out").iterdir()) == []


def test_a_store_error_names_the_bucket_and_hides_a_secret(monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s3cr3t-value")
    with pytest.raises(StorageError) as raised, storage_errors(locate("s3://in/data/a.csv")):
        raise OSError("AWS Error ACCESS_DENIED during HeadObject operation (signed with s3cr3t-value)")
    assert "bucket in" in raised.value.message and "credentials were refused" in raised.value.message
    assert "s3cr3t-value" not in raised.value.message


def test_a_schedule_fills_its_date_into_a_folder_input_and_an_output_path():
    from datetime import UTC, datetime

    from batchsvc.scheduling.templates import fill, placeholders
    template = {"model": "m", "input": {"path": "s3://in/daily/{date}/"}, "output": {"path": "s3://out/{date}/"}}
    request = fill(template, "nightly", datetime(2026, 12, 1, 2, 0, tzinfo=UTC), "Europe/Berlin")
    assert request.input.path == "s3://in/daily/2026-12-01/"  # type: ignore[union-attr]
    assert request.output.path == "s3://out/2026-12-01/" and placeholders(template) == {"date"}
