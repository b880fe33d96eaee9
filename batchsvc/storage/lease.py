"""A leader lease in Redis: one holder at a time, lost on its own when the holder stops renewing it.

Taken with SET NX PX; renewed and released only by the holder (a Lua compare-and-set on its token), so a
holder that stalled past the expiry can neither extend nor delete the lease a successor now holds.
"""

import os
import socket
import time
import uuid

import redis

# KEYS: lease.  ARGV: token, ttl ms.  Returns 1 if the caller holds the lease (renewed), else 0.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""
# KEYS: lease.  ARGV: token.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class Lease:
    def __init__(self, client: redis.Redis, key: str, ttl_ms: int):
        self.r, self.key, self.ttl_ms = client, key, ttl_ms
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)
        self._valid_until = 0.0  # monotonic time up to which we surely hold it

    def hold(self) -> bool:
        """Renew the lease if we hold it, else try to take it; True while we are the holder."""
        started = time.monotonic()
        held = self.renew() or bool(self.r.set(self.key, self.token, nx=True, px=self.ttl_ms))
        self._valid_until = started + self.ttl_ms / 1000 if held else 0.0
        return held

    def renew(self) -> bool:
        """Extend the lease if we still hold it (never takes it); True if we do."""
        started = time.monotonic()
        held = bool(self._renew(keys=[self.key], args=[self.token, self.ttl_ms]))
        self._valid_until = started + self.ttl_ms / 1000 if held else 0.0
        return held

    def valid(self) -> bool:
        """True if the lease cannot have expired since it was last taken or renewed (a local clock check)."""
        return time.monotonic() < self._valid_until

    def release(self) -> None:
        self._valid_until = 0.0
        self._release(keys=[self.key], args=[self.token])
