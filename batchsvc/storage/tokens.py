"""Tokens: an API key exchanged for a signed, time-limited JWT (HS256), dead as soon as its key is revoked.

Claims: `sub` the key's name, `role`, `kid` the key's id, `iat`, `exp`. Each use looks the key id up again
(one HGET, as a key's own check does), so a revoked key's tokens fail at once and a changed role is followed.
The secret is BATCHSVC_TOKEN_SECRET, or one generated once into Redis (SET NX) that every API process shares.
"""

import secrets
import time
from datetime import UTC, datetime

import jwt
import redis

from batchsvc.clock import iso
from batchsvc.errors import Unauthorized
from batchsvc.roles import Principal, Role
from batchsvc.storage.api_keys import KeyStore
from batchsvc.storage.redis_keys import Keys

ALGORITHM = "HS256"
SECRET_BYTES = 32
EXPIRED = "the token expired; get a new one with POST /v1/token"
REVOKED = "the token's API key was revoked; get a new key from an admin"


def looks_like_token(credential: str) -> bool:
    """A JWT has three dot-separated parts; API keys have none."""
    return credential.count(".") == 2


class TokenIssuer:
    def __init__(self, client: redis.Redis, keys: Keys, ttl_s: int, secret: str | None = None,
                 key_store: KeyStore | None = None):
        self.r, self.keys, self.ttl_s = client, keys, ttl_s
        self._secret = secret
        self.key_store = key_store or KeyStore(client, keys)

    def issue(self, principal: Principal) -> dict:
        """A token for the principal: {token, token_type, expires_in, expires_at}."""
        now = int(time.time())
        claims = {"sub": principal.name, "role": principal.role.value, "kid": principal.key_id,
                  "iat": now, "exp": now + self.ttl_s}
        token = jwt.encode(claims, self.secret(), algorithm=ALGORITHM)
        return {"token": token, "token_type": "Bearer", "expires_in": self.ttl_s,
                "expires_at": iso_seconds(now + self.ttl_s)}

    def verify(self, token: str) -> Principal | None:
        """The principal of a valid token whose key still exists; None for a token without a key (auth off).
        An expired, forged or revoked key's token raises Unauthorized."""
        try:
            claims = jwt.decode(token, self.secret(), algorithms=[ALGORITHM], options={"require": ["exp", "sub"]})
        except jwt.ExpiredSignatureError:
            raise Unauthorized(EXPIRED) from None
        except jwt.PyJWTError:
            raise Unauthorized("the token is not valid here (bad signature or claims); get one with "
                               "POST /v1/token") from None
        if not claims.get("kid"):
            return None
        return self._current(claims)

    def _current(self, claims: dict) -> Principal:
        """The token's key as stored now: gone means revoked."""
        record = self.key_store.record(claims["kid"])
        if record is None:
            raise Unauthorized(REVOKED)
        return Principal(name=record["name"], role=Role(record["role"]), key_id=claims["kid"])

    def secret(self) -> str:
        """The signing secret: the setting, else Redis's (made once by whichever process asks first)."""
        if self._secret is None:
            key = self.keys.token_secret()
            self.r.set(key, secrets.token_urlsafe(SECRET_BYTES), nx=True)
            self._secret = str(self.r.get(key))
        return self._secret


def iso_seconds(epoch_s: int) -> str:
    """An epoch time as the API shows times."""
    return iso(datetime.fromtimestamp(epoch_s, UTC))
