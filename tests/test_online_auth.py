"""Roles and tokens on the secured API: who may score, a scorer that may only score, tokens from POST /v1/token
(valid, expired, revoked key's, forged) accepted wherever a key is."""

import uuid

import httpx
import jwt
import pytest
from secure import key_store

from batchsvc.storage.redis_keys import Keys
from batchsvc.storage.tokens import TokenIssuer

ROW = {"records": [{"a": 2.0}]}


@pytest.fixture(scope="module")
def scorer(secure) -> str:
    """A scorer key on the secured API."""
    return key_store(secure.env, secure.namespace).create("scorer", f"scorer-{uuid.uuid4().hex[:6]}")[1]


@pytest.fixture(scope="module")
def deployment(secure) -> str:
    with secure.client("admin") as admin:
        name = f"sec-{uuid.uuid4().hex[:6]}"
        response = admin.post("/v1/deployments", json={"name": name, "model": secure.model})
        assert response.status_code == 201, response.text
    return name


def call(secure, credential: str | None, method: str, path: str, **kw) -> httpx.Response:
    headers = {"Authorization": f"Bearer {credential}"} if credential else {}
    return httpx.request(method, f"{secure.url}{path}", headers=headers, timeout=30, **kw)


def token_for(secure, key: str) -> str:
    response = call(secure, key, "POST", "/v1/token")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    return body["token"]


def test_submitters_and_scorers_score_readers_may_not(secure, scorer, deployment):
    scoring = [f"/v1/deployments/{deployment}/predictions", f"/v1/models/{secure.model}@1/predictions"]
    for path in scoring:
        for who in ("alice", "admin"):
            assert call(secure, secure.keys[who], "POST", path, json=ROW).status_code == 200, (who, path)
        assert call(secure, scorer, "POST", path, json=ROW).json()["predictions"][0]["values"] == [[4.0]]
        assert call(secure, secure.keys["reader"], "POST", path, json=ROW).status_code == 403
        assert call(secure, None, "POST", path, json=ROW).status_code == 401


def test_a_scorer_may_only_score_and_get_a_token(secure, scorer, deployment):
    # Everything but scoring and the token is refused to a scorer, reads too
    for method, path, body in [("GET", "/v1/jobs", None), ("GET", "/v1/models", None),
                               ("GET", f"/v1/deployments/{deployment}", None),
                               ("GET", f"/v1/deployments/{deployment}/logs", None),
                               ("POST", "/v1/jobs", {"model": secure.model, "input": {"values": [[1.0]]}}),
                               ("POST", "/v1/deployments", {"name": "x", "model": secure.model})]:
        response = call(secure, scorer, method, path, json=body)
        assert response.status_code == 403 and "scorer" in response.json()["error"]["message"], (method, path)
    assert call(secure, token_for(secure, scorer), "POST", f"/v1/deployments/{deployment}/predictions",
                json=ROW).status_code == 200


def test_a_token_acts_as_its_key_and_carries_name_role_and_key_id(secure):
    # Given a token exchanged for the reader's key, in the header or in the body
    token = token_for(secure, secure.keys["reader"])
    from_body = httpx.post(f"{secure.url}/v1/token", json={"api_key": secure.keys["reader"]}, timeout=30)
    assert from_body.status_code == 200
    # Then it reads as the reader does and may not write, as the reader may not
    assert call(secure, token, "GET", "/v1/jobs").status_code == 200
    assert call(secure, token, "POST", "/v1/jobs", json={"model": secure.model,
                                                        "input": {"values": [[1.0]]}}).status_code == 403
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["sub"] == "reader" and claims["role"] == "reader" and claims["kid"]
    assert claims["exp"] - claims["iat"] == 3600
    # And a token is not exchanged for another, a wrong key not at all
    assert call(secure, token, "POST", "/v1/token").status_code == 422
    assert httpx.post(f"{secure.url}/v1/token", json={"api_key": "bsk_nope"}, timeout=30).status_code == 401
    assert httpx.post(f"{secure.url}/v1/token", timeout=30).status_code == 401


def test_an_expired_or_forged_token_gets_401(secure):
    store = key_store(secure.env, secure.namespace)
    principal = store.authenticate(secure.keys["admin"])
    assert principal is not None
    expired = TokenIssuer(store.r, Keys(secure.namespace), ttl_s=-60).issue(principal)["token"]
    response = call(secure, expired, "GET", "/v1/jobs")
    assert response.status_code == 401 and "expired" in response.json()["error"]["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    forged = TokenIssuer(store.r, Keys(secure.namespace), 3600, secret="x" * 40).issue(principal)["token"]
    assert call(secure, forged, "GET", "/v1/jobs").status_code == 401
    assert call(secure, token_for(secure, secure.keys["admin"]), "GET", "/v1/jobs").status_code == 200


def test_a_revoked_keys_token_stops_working_at_once(secure):
    # Given a key and a token made from it
    store = key_store(secure.env, secure.namespace)
    name = f"brief-{uuid.uuid4().hex[:6]}"
    key = store.create("reader", name)[1]
    token = token_for(secure, key)
    assert call(secure, token, "GET", "/v1/jobs").status_code == 200
    # When the key is revoked, Then its token gets 401 on the next request
    store.revoke(name)
    response = call(secure, token, "GET", "/v1/jobs")
    assert response.status_code == 401 and "revoked" in response.json()["error"]["message"]
