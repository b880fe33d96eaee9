"""Keys per deployment, as Azure ML's services have them: a primary and a secondary key that score that deployment
and nothing else, each regenerated on its own (zero-downtime rotation), and tokens limited to it.

Redis keeps, per deployment and slot, a random nonce and the sha256 of the key; never the key. A key is the HMAC of
the deployment's id, the slot and the nonce under the server's signing secret (the one tokens use), so listkeys
can show the keys again and a regenerated nonce kills the old key at once. A token is a JWT with audience
TOKEN_AUDIENCE and the deployment's id: the API-key token check refuses it (PyJWT refuses an audience it was not
told to expect), and it dies with its deployment.
"""

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import cast

import jwt
import redis

from batchsvc.errors import InvalidRequest, Unauthorized
from batchsvc.storage.redis_keys import Keys
from batchsvc.storage.tokens import ALGORITHM, TokenIssuer

KEY_PREFIX = "bdk"  # deployment keys read bdk_<43 url-safe characters>; API keys read bsk_<id>_<secret>
SLOTS = {"primary": "primaryKey", "secondary": "secondaryKey"}
NONCE_BYTES = 16
TOKEN_AUDIENCE = "batchsvc-deployment"
REFUSED = "this key or token does not score deployment {name!r}; use its own key (POST /v1/deployments/{name}/listkeys)"


def slot_of(key_type: str) -> str:
    """Azure's keyType (Primary, Secondary, any case) as a slot name; 422 naming keyType otherwise."""
    slot = str(key_type).lower()
    if slot not in SLOTS:
        raise InvalidRequest(f"keyType must be Primary or Secondary, not {key_type!r}", field="keyType")
    return slot


class DeploymentKeys:
    def __init__(self, client: redis.Redis, keys: Keys, tokens: TokenIssuer):
        self.r, self.keys, self.tokens = client, keys, tokens

    def list(self, deployment: dict) -> dict:
        """{"primaryKey", "secondaryKey"}, made on first use."""
        stored = self._stored(deployment)
        return {SLOTS[slot]: self._key(deployment, slot, stored[slot]["nonce"]) for slot in SLOTS}

    def regenerate(self, deployment: dict, slot: str) -> dict:
        """A new key in one slot (the old one refused from now on); the other slot's key stays."""
        self._stored(deployment)
        self._put(deployment, slot)
        return self.list(deployment)

    def verify(self, deployment: dict, presented: str) -> bool:
        """Whether `presented` is one of the deployment's keys now (hashes compared in constant time)."""
        if not presented.startswith(f"{KEY_PREFIX}_"):
            return False
        digest = hashlib.sha256(presented.encode()).hexdigest()
        raw = cast(dict[str, str], self.r.hgetall(self.keys.deployment_keys(deployment["name"])))
        found = [e["sha256"] for e in map(json.loads, raw.values()) if e.get("id") == deployment["id"]]
        return any(hmac.compare_digest(digest, sha) for sha in found)

    def token(self, deployment: dict) -> dict:
        """Azure's {accessToken, tokenType, expiryOn, refreshAfter} (epoch seconds) for this deployment alone."""
        now = int(time.time())
        ttl = self.tokens.ttl_s
        claims = {"sub": deployment["name"], "did": deployment["id"], "aud": TOKEN_AUDIENCE, "iat": now,
                  "exp": now + ttl}
        token = jwt.encode(claims, self.tokens.secret(), algorithm=ALGORITHM)
        return {"accessToken": token, "tokenType": "Bearer", "expiryOn": now + ttl, "refreshAfter": now + ttl // 2}

    def verify_token(self, deployment: dict, token: str) -> bool:
        """Whether the token was issued for this very deployment (same id: a recreated name is another one) and
        has not expired; an expired token is a 401 saying so."""
        try:
            claims = jwt.decode(token, self.tokens.secret(), algorithms=[ALGORITHM], audience=TOKEN_AUDIENCE,
                                options={"require": ["exp", "did"]})
        except jwt.ExpiredSignatureError:
            raise Unauthorized(f"the token expired; get a new one with POST /v1/deployments/{deployment['name']}"
                               "/token") from None
        except jwt.PyJWTError:
            return False
        return claims["did"] == deployment["id"]

    def forget(self, name: str) -> None:
        """Drop a deployment's keys (when it is deleted)."""
        self.r.delete(self.keys.deployment_keys(name))

    def _stored(self, deployment: dict) -> dict:
        """Each slot's {nonce, sha256, id}; a slot never made (or made for an earlier deployment) is made now."""
        raw = cast(dict[str, str], self.r.hgetall(self.keys.deployment_keys(deployment["name"])))
        stored = {slot: json.loads(value) for slot, value in raw.items()}
        for slot in SLOTS:
            if stored.get(slot, {}).get("id") != deployment["id"]:
                stored[slot] = self._put(deployment, slot)
        return stored

    def _put(self, deployment: dict, slot: str) -> dict:
        nonce = secrets.token_hex(NONCE_BYTES)
        key = self._key(deployment, slot, nonce)
        entry = {"id": deployment["id"], "nonce": nonce, "sha256": hashlib.sha256(key.encode()).hexdigest()}
        self.r.hset(self.keys.deployment_keys(deployment["name"]), slot, json.dumps(entry))
        return entry

    def _key(self, deployment: dict, slot: str, nonce: str) -> str:
        mac = hmac.new(self.tokens.secret().encode(), f"{deployment['id']}:{slot}:{nonce}".encode(), hashlib.sha256)
        return f"{KEY_PREFIX}_{base64.urlsafe_b64encode(mac.digest()).decode().rstrip('=')}"
