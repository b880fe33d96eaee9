"""The client side of Azure ML's per-deployment keys: list them, regenerate one, get a token for the deployment."""

from batchsvc.client.client import Client


class DeploymentKeysClient(Client):
    """A Client that also speaks to /v1/deployments/{name}/listkeys, /regenerateKeys and /token."""

    def deployment_keys(self, name: str) -> dict:
        """{"primaryKey", "secondaryKey"} (an admin's key)."""
        return self._json("POST", f"/v1/deployments/{name}/listkeys")

    def regenerate_key(self, name: str, key_type: str) -> dict:
        """Replace the primary or secondary key (the other keeps working); both keys after."""
        return self._json("POST", f"/v1/deployments/{name}/regenerateKeys", json={"keyType": key_type.capitalize()})

    def deployment_token(self, name: str) -> dict:
        """{"accessToken", "tokenType", "expiryOn", "refreshAfter"}, limited to the deployment."""
        return self._json("POST", f"/v1/deployments/{name}/token")
