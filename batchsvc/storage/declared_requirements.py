"""Requirements an Azure ML folder declares itself: a pip requirements.txt or a conda environment .yml.

Read as pip-style requirements for code_models.check_requirements (checked at registration, never installed).
Conda's `name=1.2` (version 1.2.*) becomes `name==1.2.*`; `python` and `pip` are the interpreter and the
installer, and the Azure serving packages (AZURE_SERVER_PACKAGES) are what batchsvc plays itself: all skipped.
"""

import re

import yaml

from batchsvc.errors import InvalidModel

REQUIREMENTS_TXT = "requirements.txt"
CONDA_SUFFIXES = (".yml", ".yaml")
MANIFEST = "batchsvc.yaml"  # our own manifest, never a conda file
AZURE_SERVER_PACKAGES = {"azureml-defaults", "azureml-inference-server-http"}  # the server batchsvc stands in for
NOT_PACKAGES = {"python", "pip"}
_CONDA_PIN = re.compile(r"^(?:[\w.-]+::)?([A-Za-z0-9_.-]+)\s*=\s*([^=<>!\s]+)(?:=\S+)?$")  # [channel::]name=ver[=build]


def declared_requirements(files: dict[str, bytes]) -> list[str]:
    """The requirements declared by the zip's top-level requirements.txt and conda .yml files, in that order."""
    found: list[str] = []
    for name, raw in sorted(files.items()):
        if name == REQUIREMENTS_TXT:
            found += _pip_lines(raw.decode("utf-8", "replace").splitlines())
        elif name.endswith(CONDA_SUFFIXES) and name != MANIFEST:
            found += _conda(name, raw)
    return [r for r in found if _name(r) not in AZURE_SERVER_PACKAGES | NOT_PACKAGES]


def _pip_lines(lines: list[str]) -> list[str]:
    """Requirement lines without comments, blank lines and pip options (-r, -e, --index-url ...)."""
    kept = (line.split(" #", 1)[0].strip() for line in lines)
    return [line for line in kept if line and not line.startswith(("#", "-"))]


def _conda(name: str, raw: bytes) -> list[str]:
    """A conda environment's dependencies (and its pip: list) as pip-style requirements."""
    try:
        env = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise InvalidModel(f"{name} is not valid YAML: {exc}", field="file") from None
    dependencies = env.get("dependencies") if isinstance(env, dict) else None
    if dependencies is None:
        return []  # a .yml that is no conda environment: not ours to read
    found: list[str] = []
    for item in dependencies if isinstance(dependencies, list) else []:
        if isinstance(item, dict):
            found += _pip_lines([str(line) for line in item.get("pip") or []])
        else:
            found.append(_conda_spec(str(item)))
    return found


def _conda_spec(text: str) -> str:
    """`numpy=1.21` -> `numpy==1.21.*`; `conda-forge::numpy>=1` -> `numpy>=1`; others as they are."""
    text = text.strip().split("::", 1)[-1]
    pinned = _CONDA_PIN.match(text)
    if pinned:
        version = pinned.group(2).rstrip("*").rstrip(".")
        return f"{pinned.group(1)}=={version}.*"
    return text


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")
