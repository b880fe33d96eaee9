"""BATCHSVC_REDIS_URL: one Redis or Sentinels that name the primary; a bad value fails at start naming the setting."""

import pytest

from batchsvc.errors import ConfigError
from batchsvc.redis_url import SentinelTarget, parse_sentinel
from batchsvc.settings import Settings, load_settings


def test_a_sentinel_url_names_the_sentinels_the_service_the_db_and_the_login():
    # Given a Sentinel URL with a login, three hosts (one IPv6, one without a port) and a db
    url = "rediss+sentinel://app:s%40cret@10.0.0.5:26380,[::1]:26379,sentinel-3/batchsvc/2"
    # When it is read
    target = parse_sentinel(url)
    # Then every part is there, the password decoded and TLS on
    assert target == SentinelTarget(sentinels=(("10.0.0.5", 26380), ("::1", 26379), ("sentinel-3", 26379)),
                                    service="batchsvc", db=2, username="app", password="s@cret", ssl=True)
    assert "s@cret" not in target.describe()


def test_without_a_db_the_sentinel_url_means_db_0_and_no_login():
    target = parse_sentinel("redis+sentinel://127.0.0.1:26379/mymaster")
    assert (target.db, target.username, target.password, target.ssl) == (0, None, None, False)


@pytest.mark.parametrize("url, says", [
    ("redis+sentinel://127.0.0.1:26379", "name the service"),
    ("redis+sentinel://127.0.0.1:26379/svc/zero", "must be a number"),
    ("redis+sentinel://127.0.0.1:26379,,127.0.0.1:26380/svc", "host is empty"),
    ("redis+sentinel://127.0.0.1:port/svc", "is not host:port"),
    ("redis+sentinel://127.0.0.1:70000/svc", "is not host:port"),
    ("sentinel://127.0.0.1:26379/svc", "must start with"),
])
def test_a_bad_redis_url_stops_the_process_naming_the_variable(monkeypatch, url, says):
    # Given a malformed BATCHSVC_REDIS_URL
    monkeypatch.setenv("BATCHSVC_REDIS_URL", url)
    # When the settings are read
    with pytest.raises(ConfigError) as refused:
        load_settings()
    # Then the error names the variable and what is wrong
    assert "BATCHSVC_REDIS_URL" in refused.value.message and says in refused.value.message


def test_replica_acknowledgements_are_asked_with_sentinel_and_not_with_one_redis():
    assert Settings(redis_url="redis+sentinel://127.0.0.1:26379/svc").replica_acks == 1
    assert Settings(redis_url="redis://127.0.0.1:6379/0").replica_acks == 0
    assert Settings(redis_url="redis://127.0.0.1:6379/0", redis_replica_acks=1).replica_acks == 1
    assert Settings(redis_url="redis+sentinel://127.0.0.1:26379/svc", redis_replica_acks=0).replica_acks == 0
