"""A job's drift: each chunk profiles the rows it scores, and the merged profile is compared with the baseline of
the version that scored them (docs/drift.md).

The chunk path calls ChunkProfile.add per batch and .save once; finalize calls drift_result, then queue_drift_hook
before completing the job; the small-job path calls profile_whole, then queue_drift_hook before completing it.
"""

from batchsvc.errors import NotFound
from batchsvc.jobs.spec import JobSpec
from batchsvc.scoring.batch import Batch
from batchsvc.scoring.profile import compare, empty_profile, merge, merge_all, profile_of
from batchsvc.storage.services import Services

DRIFT_HOOK_DELAY_MS = 2_000  # the drift hook waits this long for the job's transition to completed


class ChunkProfile:
    """A chunk's input counted in its version's baseline bins, batch by batch (nothing when it has no baseline)."""

    def __init__(self, svc: Services, model: dict):
        self.baseline = version_baseline(svc, model)
        self.profile: dict | None = None

    def add(self, batch: Batch) -> None:
        """Count the batch's rows as read (an Arrow batch stays Arrow: profiling never converts it)."""
        if self.baseline is None:
            return
        found = profile_of(batch.rows if batch.rows is not None else batch.arrow, self.baseline)
        self.profile = found if self.profile is None else merge(self.profile, found)

    def save(self, svc: Services, job_id: str, index: int) -> None:
        """Keep the chunk's profile under its index, replacing an earlier attempt's: rows are counted once."""
        if self.profile is not None:
            svc.drift.put_chunk(job_id, index, self.profile)


def version_baseline(svc: Services, model: dict) -> dict | None:
    """The drift baseline of a job's version ({"name", "version"}), or None when it was registered without."""
    return svc.registry.version(model["name"], model["version"]).get("baseline")


def job_drift(svc: Services, job: dict) -> dict:
    """The job's profile so far (its chunks merged), compared with its version's baseline under the model's
    thresholds; NotFound when the version has no baseline to compare with."""
    model = job["model"]
    baseline = version_baseline(svc, model)
    if baseline is None:
        raise NotFound(f"model {model['name']!r} version {model['version']} has no drift baseline: register it "
                       "with a baseline (or sample) file", field="model")
    merged = merge_all(svc.drift.chunks(job["id"])) or empty_profile(baseline)
    report = compare(baseline, merged, svc.drift.alert(model["name"]))
    return {"job_id": job["id"], "model": model, "status": job["status"], "complete": job["status"] == "completed"
            or job.get("chunks_done") == job.get("chunks_total"), "profile": merged, **report}


def drift_result(svc: Services, job: dict) -> dict:
    """What finalize adds to the result ({"drift": {...}} or nothing without a baseline); a drifted job gets a
    `drift` event naming the features and their PSI."""
    try:
        report = job_drift(svc, job)
    except NotFound:
        return {}
    drifted = report["drifted"]
    if drifted:
        psi = {name: report["features"][name]["psi"] for name in drifted}
        svc.store.add_event(job["id"], "drift", features=drifted, psi=psi, thresholds=report["thresholds"])
    return {"drift": {"drifted": drifted, "thresholds": report["thresholds"],
                      "url": f"/v1/jobs/{job['id']}/profile"}}


def profile_whole(svc: Services, job: dict, batch: Batch) -> dict:
    """The small-job path's drift in one call: its one batch profiled as chunk 0, then drift_result."""
    profile = ChunkProfile(svc, job["model"])
    profile.add(batch)
    profile.save(svc, job["id"], 0)
    return drift_result(svc, job)


def queue_drift_hook(svc: Services, job_id: str, spec: JobSpec, result: dict) -> None:
    """Queue the `drift` webhook of a job that drifted, when its hook asks for that event; called just before the
    transition to completed, so a worker killed between the two still leaves it queued. It is due DRIFT_HOOK_DELAY_MS
    later, and an attempt on a job that is not completed sends nothing (jobs/notify.py): a finalize that runs again
    queues it again."""
    drifted = (result.get("drift") or {}).get("drifted")
    if drifted and spec.notify is not None and "drift" in spec.notify.events:
        svc.hooks.queue(job_id, "drift", DRIFT_HOOK_DELAY_MS)
