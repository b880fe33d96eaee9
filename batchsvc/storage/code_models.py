"""Code models at registration: a zip with score.py, an optional batchsvc.yaml, its requirements checked.

Nothing in the zip runs here: score.py is parsed for init and run, requirements are looked up, never installed.
Without a manifest (an Azure ML folder as it is) run() gets every input column and returns what it returns;
a requirements.txt or conda .yml in the zip declares requirements as the manifest's `requirements` does.
"""

import ast
import importlib.metadata
import zipfile
from pathlib import Path

import yaml
from packaging.requirements import InvalidRequirement, Requirement

from batchsvc.errors import InvalidModel
from batchsvc.storage.declared_requirements import declared_requirements

ZIP_MAGIC = b"PK\x03\x04"
ENTRY, MANIFEST = "score.py", "batchsvc.yaml"
CODE = "code"
NUMERIC_TYPES = {"float", "int", "integer", "number", "numeric"}
TEXT_TYPES = {"str", "string", "text", "category"}
TASKS = ("classification", "regression", "custom")


def is_zip(path: Path) -> bool:
    """Whether an upload is a zip (a code model) by its magic bytes."""
    with open(path, "rb") as f:
        return f.read(4) == ZIP_MAGIC


def inspect_code(path: Path) -> dict:
    """The metadata a code model's version records, from its manifest; InvalidModel says what is wrong."""
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            source = z.read(ENTRY) if ENTRY in names else None
            manifest = z.read(MANIFEST) if MANIFEST in names else None
            declared = declared_requirements({n: z.read(n) for n in names if "/" not in n})
    except zipfile.BadZipFile as exc:
        raise InvalidModel(f"the zip cannot be read: {exc}", field="file") from None
    if source is None:
        raise InvalidModel(f"the zip has no {ENTRY} at its top level", field="file")
    _check_entry(source)
    if manifest is None:
        return _metadata({"requirements": declared}, declared=False)
    found = _manifest(manifest)
    return _metadata({**found, "requirements": [*(found.get("requirements") or []), *declared]})


def _check_entry(source: bytes) -> None:
    """score.py parses and defines init and run at module level."""
    try:
        tree = ast.parse(source, ENTRY)
    except SyntaxError as exc:
        raise InvalidModel(f"{ENTRY} does not parse: line {exc.lineno}: {exc.msg}", field="file") from None
    defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    missing = [f for f in ("init", "run") if f not in defined]
    if missing:
        raise InvalidModel(f"{ENTRY} must define {' and '.join(missing)}() at module level", field="file")


def _manifest(raw: bytes) -> dict:
    try:
        manifest = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise InvalidModel(f"{MANIFEST} is not valid YAML: {exc}", field="file") from None
    if not isinstance(manifest, dict):
        raise InvalidModel(f"{MANIFEST} must be a mapping with features and outputs", field="file")
    return manifest


def _metadata(manifest: dict, declared: bool = True) -> dict:
    """What the version's record holds for a code model (ModelInfo's fields plus kind, outputs, requirements);
    undeclared (no manifest): no features (run() gets every column) and no outputs (it returns what it returns)."""
    features = _features(manifest.get("features")) if declared else {}
    outputs = _names(manifest.get("outputs"), "outputs") if declared else []
    task = manifest.get("task") or "custom"
    if task not in TASKS:
        raise InvalidModel(f"{MANIFEST}: task must be one of {', '.join(TASKS)}, not {task!r}", field="file")
    requirements = [str(r) for r in manifest.get("requirements") or []]
    check_requirements(requirements)
    return {"kind": CODE, "task": task, "features": list(features),
            "numeric_features": [f for f, t in features.items() if t in NUMERIC_TYPES],
            "untyped": [f for f, t in features.items() if t is None], "outputs": outputs,
            "requirements": requirements, "classes": manifest.get("classes"), "has_proba": False,
            "named_features": True, "categories": {}, "sample": {}}


def _features(raw) -> dict[str, str | None]:
    """Feature name -> declared type (None when untyped): items are names or {name: type}."""
    found: dict[str, str | None] = {}
    for item in raw if isinstance(raw, list) else []:
        name, kind = next(iter(item.items())) if isinstance(item, dict) and len(item) == 1 else (item, None)
        if kind is not None and str(kind).lower() not in NUMERIC_TYPES | TEXT_TYPES:
            raise InvalidModel(f"{MANIFEST}: feature {name!r} has unknown type {kind!r} (use float, int or str)",
                               field="file")
        found[str(name)] = None if kind is None else str(kind).lower()
    if not found:
        raise InvalidModel(f"{MANIFEST} must list features (the input columns run() reads)", field="file")
    return found


def _names(raw, key: str) -> list[str]:
    if not isinstance(raw, list) or not raw:
        raise InvalidModel(f"{MANIFEST} must list {key} (the columns run() returns)", field="file")
    return [str(v) for v in raw]


def check_requirements(requirements: list[str]) -> None:
    """Each requirement is installed here within its specifier; InvalidModel names the first that is not."""
    for text in requirements:
        try:
            req = Requirement(text)
        except InvalidRequirement as exc:
            raise InvalidModel(f"requirement {text!r} is not a pip-style requirement: {exc}", field="file") from None
        try:
            installed = importlib.metadata.version(req.name)
        except importlib.metadata.PackageNotFoundError:
            raise InvalidModel(f"requirement {text!r}: {req.name} is not installed on this server (batchsvc never "
                               "installs packages; install it and register again)", field="file") from None
        if req.specifier and not req.specifier.contains(installed, prereleases=True):
            raise InvalidModel(f"requirement {text!r}: {req.name} {installed} is installed, outside {req.specifier}",
                               field="file")
