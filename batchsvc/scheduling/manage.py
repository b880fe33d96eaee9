"""Schedules as the API and `schedules apply` handle them: validate, create, change, replace, delete, present."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from batchsvc.clock import iso, now
from batchsvc.errors import InvalidRequest
from batchsvc.scheduling import templates as job_templates
from batchsvc.scheduling.fire_times import next_fire, trigger_for
from batchsvc.scheduling.schemas import SchedulePatch, ScheduleRecord, ScheduleRequest
from batchsvc.storage.schedules import new_schedule_id
from batchsvc.storage.services import Services

TIMING_FIELDS = ("cron", "interval_s", "timezone", "start_at", "end_at", "enabled")
TEMPLATE_FIELDS = ("job", "name", "timezone")  # what the filled template depends on
SOURCE_API = "api"


def definition_of(request: ScheduleRequest) -> dict:
    """The stored form of a request: times in UTC ('...Z'; a time without offset is read in the schedule's
    timezone), the job template without its null fields."""
    tz = ZoneInfo(request.timezone)
    definition = request.model_dump(mode="json", exclude={"start_at", "end_at", "job"})
    definition["start_at"] = _utc(request.start_at, tz)
    definition["end_at"] = _utc(request.end_at, tz)
    definition["job"] = request.job.model_dump(mode="json", exclude_none=True)
    return definition


def _utc(moment: datetime | None, tz: ZoneInfo) -> str | None:
    if moment is None:
        return None
    return iso(moment if moment.tzinfo else moment.replace(tzinfo=tz))


def check(svc: Services, definition: dict, anchor: str, template: bool = True):
    """Refuse a definition that could not fire as asked (422 naming the field); returns its trigger.
    template=False skips the job template (a change that leaves it alone, such as a pause, is always let through)."""
    if definition.get("cron") and definition.get("interval_s"):
        raise InvalidRequest("give either cron or interval_s, not both", field="interval_s")
    if not definition.get("cron") and not definition.get("interval_s"):
        raise InvalidRequest("give a 5-field crontab string in cron, or a number of seconds in interval_s",
                             field="cron")
    if definition["start_at"] and definition["end_at"] and definition["end_at"] <= definition["start_at"]:
        raise InvalidRequest("end_at must be later than start_at", field="end_at")
    trigger = trigger_for(definition, anchor)
    if template:
        sample = next_fire(trigger, now()) or now()
        job_templates.check(svc, definition["job"], definition["name"], sample, definition["timezone"])
    return trigger


def _next_run(definition: dict, trigger) -> str | None:
    """The next fire time from now, or None when paused or ended."""
    if not definition["enabled"]:
        return None
    moment = next_fire(trigger, now())
    return iso(moment) if moment else None


def create(svc: Services, request: ScheduleRequest, *, source: str = SOURCE_API,
           schedule_id: str | None = None, created_by: str | None = None) -> dict:
    """Validate and store a new schedule; the running scheduler picks it up from the announcement."""
    definition, created_at = definition_of(request), iso()
    trigger = check(svc, definition, created_at)
    record = {"id": schedule_id or new_schedule_id(), "source": source, "definition": definition,
              "created_at": created_at, "created_by": created_by or source,
              "next_run_at": _next_run(definition, trigger)}
    return svc.schedules.create(record)


def change(svc: Services, schedule_id: str, patch: SchedulePatch) -> dict:
    """Apply the fields a PATCH names (null clears one) and validate the result as a whole."""
    current = svc.schedules.get(schedule_id)
    merged = {**current["definition"], **patch.model_dump(mode="json", exclude_unset=True)}
    request = ScheduleRequest.model_validate(merged)
    return _write(svc, current, definition_of(request), current["source"])


def replace(svc: Services, schedule_id: str, request: ScheduleRequest, source: str) -> tuple[str, dict]:
    """Make a schedule match a full definition: 'created', 'updated', or 'unchanged' (nothing written)."""
    current = svc.schedules.find(schedule_id)
    if current is None:
        return "created", create(svc, request, source=source, schedule_id=schedule_id)
    definition = definition_of(request)
    if current["definition"] == definition and current["source"] == source:
        return "unchanged", current
    return "updated", _write(svc, current, definition, source)


def _write(svc: Services, current: dict, definition: dict, source: str) -> dict:
    """Store a changed definition; the next run is recomputed from now only when the timing changed."""
    template_changed = any(definition[k] != current["definition"][k] for k in TEMPLATE_FIELDS)
    trigger = check(svc, definition, current["created_at"], template=template_changed)
    fields: dict[str, Any] = {"definition": definition, "source": source}
    if any(definition.get(k) != current["definition"].get(k) for k in TIMING_FIELDS):
        fields["next_run_at"] = _next_run(definition, trigger)
    return svc.schedules.change(current["id"], current["revision"], **fields)


def delete(svc: Services, schedule_id: str) -> None:
    svc.schedules.delete(schedule_id)


def present(record: dict) -> dict:
    """A stored schedule as the API shows it (ScheduleRecord, the shape /openapi.json documents)."""
    return ScheduleRecord.from_stored(record).model_dump(mode="json")
