"""The client's settings, BATCHSVC_API_URL and BATCHSVC_API_KEY: from the environment, else ./.env.

Read the way batchsvc.settings reads the server's (names case-insensitive, the environment before .env)
but without pydantic-settings, whose import alone would slow every CLI start by about a tenth of a second.
"""

import os
from collections.abc import Mapping
from pathlib import Path

ENV_PREFIX = "BATCHSVC_"
ENV_FILE = ".env"
DEFAULT_API_URL = "http://127.0.0.1:8000"


def api_url() -> str:
    """The API's base URL: BATCHSVC_API_URL, or the local default."""
    return client_setting("API_URL") or DEFAULT_API_URL


def api_key() -> str | None:
    """The API key to send: BATCHSVC_API_KEY, or None (no Authorization header)."""
    return client_setting("API_KEY") or None


def client_setting(name: str) -> str | None:
    """BATCHSVC_<name> from the environment, else from ./.env (read only when the environment lacks it)."""
    value = _lookup(os.environ, ENV_PREFIX + name)
    return value if value is not None else _lookup(_env_file(), ENV_PREFIX + name)


def _lookup(variables: Mapping[str, str | None], name: str) -> str | None:
    """The value of name in variables, matched as pydantic-settings does: exact name first, then any case."""
    if name in variables:
        return variables[name]
    return next((v for k, v in variables.items() if k.lower() == name.lower()), None)


def _env_file() -> Mapping[str, str | None]:
    """The variables of ./.env, parsed by python-dotenv as pydantic-settings parses it; {} without one."""
    if not Path(ENV_FILE).is_file():
        return {}
    from dotenv import dotenv_values

    return dotenv_values(ENV_FILE)
