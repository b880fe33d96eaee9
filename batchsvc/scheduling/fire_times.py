"""When a schedule fires: its APScheduler trigger, its next fire time, and which due times fire or are missed."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from batchsvc.scheduling.crontab import CrontabTrigger

MISSED_COUNTED_MAX = 10_000  # fire times counted one by one in a missed-event; past it the count says "at least"


def parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 time as stored ('...Z'), or None."""
    return _from_iso(value) if value else None


def _from_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def trigger_for(definition: dict, anchor: str) -> BaseTrigger:
    """The trigger of a schedule; interval_s counts from start_at, else from `anchor` (its creation, whole seconds)."""
    tz = ZoneInfo(definition["timezone"])
    start, end = parse_time(definition.get("start_at")), parse_time(definition.get("end_at"))
    if definition.get("cron"):
        return CrontabTrigger(definition["cron"], tz, start, end)
    origin = start or _from_iso(anchor).replace(microsecond=0)
    return IntervalTrigger(seconds=definition["interval_s"], start_date=origin, end_date=end, timezone=tz)


def next_fire(trigger: BaseTrigger, now: datetime) -> datetime | None:
    """The first fire time at or after now (None once the schedule has ended)."""
    return trigger.get_next_fire_time(None, now)


@dataclass
class Due:
    """Fire times that came due: one to fire (the latest within grace), the rest coalesced into it or missed."""
    fire: datetime | None = None
    coalesced: list[datetime] = field(default_factory=list)
    missed_first: datetime | None = None
    missed_last: datetime | None = None
    missed_count: int = 0
    missed_more: bool = False  # True when more than MISSED_COUNTED_MAX were missed

    def add_missed(self, moment: datetime) -> None:
        self.missed_first = self.missed_first or moment
        self.missed_last = moment
        self.missed_count += 1


def sort_due(times: Sequence[datetime], now: datetime, grace_s: float) -> Due:
    """Split due fire times: older than grace are missed; of the rest the latest fires and the others coalesce."""
    cutoff = now - timedelta(seconds=grace_s)
    due = Due()
    for moment in times:
        if moment < cutoff:
            due.add_missed(moment)
        else:
            due.coalesced.append(moment)
    if due.coalesced:
        due.fire = due.coalesced.pop()
    return due


def catch_up(trigger: BaseTrigger, since: datetime, now: datetime, grace_s: float) -> tuple[Due, datetime | None]:
    """For a schedule whose next run was `since` (in the past): the missed times, and where to resume.

    Resume at the first fire time within the grace period (so it fires on return, coalesced), or at the
    next future one. Missed times are walked one by one only up to MISSED_COUNTED_MAX, so a scheduler
    that was down for a week on a one-second interval does not spend minutes counting.
    """
    cutoff = now - timedelta(seconds=grace_s)
    due, moment = Due(), since
    while moment is not None and moment < cutoff:
        if due.missed_count == MISSED_COUNTED_MAX:
            due.missed_more = True
            break
        due.add_missed(moment)
        moment = trigger.get_next_fire_time(moment, moment)
    if due.missed_more or (moment is not None and moment < cutoff):
        moment = trigger.get_next_fire_time(None, cutoff)
    return due, moment
