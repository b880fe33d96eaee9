"""A deployment's drift over a time window: its captured requests profiled against the baseline of each version
that answered them (scoring/profile.py), per feature PSI, unseen and missing shares, drifted features named.

Files are read one at a time and their profiles merged, so a window costs one file's rows of memory. Rows whose
request no version answered (a model that was gone) are counted apart; a version registered without a baseline
shows its rows and no comparison.
"""

import re
import time
from datetime import UTC, datetime
from typing import cast

import pandas as pd

from batchsvc.clock import iso
from batchsvc.errors import InvalidRequest, ModelNotFound
from batchsvc.scoring.profile import compare, merge, profile_of
from batchsvc.storage.capture_files import in_window, read_frame
from batchsvc.storage.capture_table import INPUT
from batchsvc.storage.services import Services

WINDOW = re.compile(r"^([1-9][0-9]{0,6})([smhd])$")
UNIT_S = {"s": 1, "m": 60, "h": 3_600, "d": 86_400}
MAX_WINDOW_S = 31 * 86_400


def window_seconds(text: str) -> int:
    """'90s', '30m', '1h', '7d' as seconds; InvalidRequest naming `window` otherwise."""
    found = WINDOW.match(text)
    seconds = int(found[1]) * UNIT_S[found[2]] if found else 0
    if not found or seconds > MAX_WINDOW_S:
        raise InvalidRequest(f"window must be a whole number of s, m, h or d (e.g. 1h), at most "
                             f"{MAX_WINDOW_S // 86_400}d; got {text!r}", field="window")
    return seconds


def deployment_drift(svc: Services, name: str, window: str, until_s: float | None = None) -> dict:
    """The drift report of deployment `name`'s captures in the `window` that ends at until_s (now)."""
    svc.deployments.spec(name)  # 404 for a deployment that is not there
    until_ms = int((time.time() if until_s is None else until_s) * 1000)
    since_ms = until_ms - window_seconds(window) * 1000
    files = in_window(svc.data.deployment_captures(name), since_ms, until_ms)
    profiles: dict[tuple[str, int], dict] = {}
    rows = {"all": 0, "unanswered": 0}
    for f in files:
        frame = read_frame([f], since_ms, until_ms)
        if "shadow" in frame.columns:  # a shadow's answers saw the same rows again: count the answers given
            frame = frame[frame["shadow"].ne(True)]
        rows["all"] += len(frame)
        answered = frame[frame["version"].notna() & frame["model"].notna()] if len(frame) else frame
        rows["unanswered"] += len(frame) - len(answered)
        for key, group in answered.groupby(["model", "version"]):
            model, version = cast(tuple[str, float], key)
            _add(svc, profiles, (str(model), int(version)), _inputs(group))
    versions = [_report(svc, key, profile) for key, profile in sorted(profiles.items())]
    drifted = sorted({f for v in versions for f in v.get("drifted", ())})
    return {"deployment": name, "window": window, "since": _iso(since_ms), "until": _iso(until_ms),
            "files": len(files), "rows": rows["all"], "unanswered_rows": rows["unanswered"],
            "drifted": drifted, "versions": versions}


def _inputs(group: pd.DataFrame) -> pd.DataFrame:
    """The captured input columns under the feature names the baseline uses."""
    columns = [c for c in group.columns if c.startswith(INPUT)]
    return group[columns].rename(columns=lambda c: c[len(INPUT):]).dropna(axis=1, how="all")


def _add(svc: Services, profiles: dict, key: tuple[str, int], inputs: pd.DataFrame) -> None:
    """Count these rows into the version's profile (rows only, for a version without a baseline)."""
    baseline = _baseline(svc, *key)
    found = profile_of(inputs, baseline) if baseline else {"rows": len(inputs), "features": {}}
    if key not in profiles:
        profiles[key] = found
    elif baseline:
        profiles[key] = merge(profiles[key], found)
    else:
        profiles[key]["rows"] += found["rows"]


def _baseline(svc: Services, model: str, version: int) -> dict | None:
    try:
        return svc.registry.version(model, version).get("baseline")
    except ModelNotFound:
        return None  # the version was deleted since: its rows are counted, not compared


def _report(svc: Services, key: tuple[str, int], profile: dict) -> dict:
    """One version's part of the report: its rows and, against its baseline, each feature's figures."""
    model, version = key
    baseline = _baseline(svc, model, version)
    if not baseline:
        return {"model": model, "version": version, "rows": profile["rows"], "baseline": False}
    return {"model": model, "version": version, "baseline": True,
            **compare(baseline, profile, svc.drift.alert(model))}


def _iso(ms: int) -> str:
    return iso(datetime.fromtimestamp(ms / 1000, UTC))
