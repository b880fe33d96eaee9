"""One loopback rule for the start-up check and the per-request Host check."""

import pytest
from starlette.requests import Request

from batchsvc.api.auth import refuse_browser_attacks
from batchsvc.api.exposure import is_loopback
from batchsvc.errors import Forbidden


def request_with_host(host: str) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/", "headers": [(b"host", host.encode())]})


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "127.0.0.2:8000", "localhost:8000", "[::1]:8000", "LOCALHOST"])
def test_a_loopback_host_is_served_with_auth_off(host):
    # Given auth off; When a request names a loopback host; Then it is not refused
    refuse_browser_attacks(request_with_host(host), any_host=False)


@pytest.mark.parametrize("host", ["batchsvc.internal", "10.0.0.5:8000", "0.0.0.0:8000", "evil.example:80"])
def test_a_host_other_machines_use_is_refused_with_auth_off(host):
    with pytest.raises(Forbidden):
        refuse_browser_attacks(request_with_host(host), any_host=False)


@pytest.mark.parametrize("host", ["127.0.0.2", "[::1]", "localhost"])  # a Host header brackets IPv6
def test_the_startup_rule_and_the_request_rule_agree(host):
    # Given a host the API may start on without keys, Then requests naming it are served too
    assert is_loopback(host)
    refuse_browser_attacks(request_with_host(host), any_host=False)
