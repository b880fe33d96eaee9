"""The client's BATCHSVC_API_URL and BATCHSVC_API_KEY: environment first (any case), then ./.env, then defaults."""

import pytest

from batchsvc.client import settings
from batchsvc.client.client import Client


@pytest.fixture
def clean(monkeypatch, tmp_path):
    """No BATCHSVC_* variable in the environment, and a working directory of our own (no stray .env)."""
    for name in ("BATCHSVC_API_URL", "BATCHSVC_API_KEY", "batchsvc_api_url", "batchsvc_api_key"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def test_defaults_without_environment_or_env_file(clean):
    assert settings.api_url() == "http://127.0.0.1:8000"
    assert settings.api_key() is None


def test_env_file_gives_both_settings(clean, tmp_path):
    (tmp_path / ".env").write_text("BATCHSVC_API_URL=http://from-dotenv:9000\nBATCHSVC_API_KEY='secret'\n")
    assert settings.api_url() == "http://from-dotenv:9000"
    assert settings.api_key() == "secret"


def test_environment_beats_env_file_and_any_case_matches(clean, tmp_path):
    (tmp_path / ".env").write_text("batchsvc_api_url=http://from-dotenv:9000\nbatchsvc_api_key=from-dotenv\n")
    clean.setenv("batchsvc_api_key", "from-env")
    assert settings.api_url() == "http://from-dotenv:9000"
    assert settings.api_key() == "from-env"


def test_empty_values_mean_the_defaults(clean):
    clean.setenv("BATCHSVC_API_URL", "")
    clean.setenv("BATCHSVC_API_KEY", "")
    assert settings.api_url() == "http://127.0.0.1:8000"
    assert settings.api_key() is None


def test_client_sends_the_key_and_uses_the_url(clean):
    clean.setenv("BATCHSVC_API_URL", "http://api.example:8123/")
    clean.setenv("BATCHSVC_API_KEY", "k1")
    with Client() as c:
        assert c.url == "http://api.example:8123"
        assert c.http.headers["Authorization"] == "Bearer k1"
