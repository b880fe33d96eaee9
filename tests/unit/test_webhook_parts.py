"""The pure parts of webhooks: the allow list and its checks on literal addresses, and the signature."""

import time

import pytest

from batchsvc.errors import ConfigError
from batchsvc.settings import load_settings
from batchsvc.webhooks.signing import sign, verify
from batchsvc.webhooks.targets import check_target, parse_allow


def test_without_an_allow_list_only_public_addresses_may_be_targets():
    allow = parse_allow(None)
    assert check_target("https://93.184.215.14/hook", allow) is None
    for url in ("http://127.0.0.1/h", "http://10.0.0.1/h", "http://192.168.1.2/h", "http://169.254.169.254/h",
                "http://[::1]/h"):
        assert "is not a public address; allow it in BATCHSVC_WEBHOOK_ALLOW" in check_target(url, allow), url


def test_an_allow_list_admits_its_networks_and_host_names_only():
    allow = parse_allow("127.0.0.1/32, 10.8.0.0/16, hooks.internal")
    assert check_target("http://127.0.0.1:9000/h", allow) is None
    assert check_target("http://10.8.3.4/h", allow) is None
    assert check_target("http://hooks.internal/h", allow) is None  # named: allowed whatever it resolves to
    assert "10.9.0.1, which is not in BATCHSVC_WEBHOOK_ALLOW" in check_target("http://10.9.0.1/h", allow)
    assert "not an http:// or https:// URL" in check_target("file:///etc/passwd", allow)


def test_a_bad_allow_entry_stops_the_process_at_start(monkeypatch):
    monkeypatch.setenv("BATCHSVC_WEBHOOK_ALLOW", "127.0.0.1/33")
    with pytest.raises(ConfigError, match="BATCHSVC_WEBHOOK_ALLOW"):
        load_settings()


def test_a_signature_holds_for_its_body_secret_and_time_only():
    body = b'{"event":"job.completed"}'
    header = sign("k" * 20, body)
    assert verify("k" * 20, header, body)
    assert not verify("j" * 20, header, body)
    assert not verify("k" * 20, header, body + b" ")
    assert not verify("k" * 20, sign("k" * 20, body, int(time.time()) - 3600), body)  # a replay, an hour late
    assert not verify("k" * 20, "garbage", body)


def test_with_an_allow_list_an_unlisted_name_is_refused_without_being_resolved():
    allow = parse_allow("127.0.0.1/32")
    assert check_target("http://localhost:8080/h", allow) == "the host name localhost is not listed in " \
                                                             "BATCHSVC_WEBHOOK_ALLOW"
