"""Crontab strings with their standard (cronie) meaning, as an APScheduler 3.x trigger.

APScheduler's own CronTrigger.from_crontab differs from crontab in three ways that users would trip on:
weekday numbers start at Monday (crontab: 0 and 7 are Sunday), a restricted day-of-month AND a
restricted day-of-week must both match (crontab: either), and on DST days a fixed-time job fires
twice in the repeated hour and late in the skipped one. CrontabTrigger keeps crontab's meaning.
"""

import re
from datetime import UTC, datetime, tzinfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger

FIELD_NAMES = ("minute", "hour", "day of month", "month", "day of week")
MACROS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
          "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}
WEEKDAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]  # crontab numbering: index = number
APS_WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]  # APScheduler numbering
_NAME = r"[A-Za-z]{3}"
_ITEM = re.compile(rf"^(\*|\d+|{_NAME})(?:-(\d+|{_NAME}))?(?:/(\d+))?$")


class CronError(ValueError):
    """A crontab string that cannot be read; the message names the field."""


def expand(expr: str) -> list[str]:
    """The five fields of a crontab string (macros such as @daily expanded); CronError if malformed."""
    text = MACROS.get(expr.strip().lower(), expr.strip())
    fields = text.split()
    if len(fields) != 5:
        raise CronError(f"a crontab string has 5 fields (minute hour day-of-month month day-of-week), "
                        f"{expr!r} has {len(fields)}")
    for name, field in zip(FIELD_NAMES, fields):
        for item in field.split(","):
            if not _ITEM.match(item) or (item.startswith("*") and "-" in item):
                raise CronError(f"{name} field {field!r}: {item!r} is not a number, name, range (a-b), "
                                "list (a,b) or step (*/n, a-b/n)")
    return fields


def weekdays(field: str) -> set[int]:
    """Crontab day-of-week field -> the set of crontab weekday numbers (0 = Sunday) it names."""
    days: set[int] = set()
    for item in field.split(","):
        match = _ITEM.match(item)
        if match is None:  # expand() refuses these first
            raise CronError(f"day of week field {field!r}: {item!r} is not a number, name, range or step")
        first, last, step = match.groups()
        if first == "*":
            lo, hi = 0, 6
        else:
            lo = _weekday_number(first)
            hi = _weekday_number(last) if last else (7 if step else lo)
        if lo > hi:
            raise CronError(f"day of week field {field!r}: the range {item!r} runs backwards")
        days.update(d % 7 for d in range(lo, hi + 1, int(step or 1)))
    return days


def _weekday_number(token: str) -> int:
    if token.isdigit():
        if int(token) > 7:
            raise CronError(f"day of week {token} is out of range: use 0-7 (0 and 7 are Sunday) or sun-sat")
        return int(token)
    if token.lower() not in WEEKDAY_NAMES:
        raise CronError(f"day of week {token!r} is not one of {', '.join(WEEKDAY_NAMES)}")
    return WEEKDAY_NAMES.index(token.lower())


def aps_day_of_week(field: str) -> str:
    """A crontab day-of-week field in APScheduler's terms: names, so no number can be misread."""
    days = weekdays(field)
    if len(days) == 7:
        return "*"
    return ",".join(WEEKDAY_NAMES[d] for d in sorted(days))


class CrontabTrigger(BaseTrigger):
    """Fires when a 5-field crontab string matches, in a timezone, between optional start and end."""

    def __init__(self, expr: str, tz: tzinfo, start: datetime | None = None, end: datetime | None = None):
        minute, hour, dom, month, dow = expand(expr)
        self.expr, self.tz = expr, tz
        self.fixed_time = "*" not in minute and "*" not in hour
        common = dict(minute=minute, hour=hour, month=month, second="0", timezone=tz, start_date=start,
                      end_date=end)
        try:
            if dom.startswith("*") or dow.startswith("*"):  # crontab: both must match
                self.inner = CronTrigger(day=dom, day_of_week=aps_day_of_week(dow), **common)
            else:  # crontab: a restricted day-of-month OR a restricted day-of-week
                self.inner = OrTrigger([CronTrigger(day=dom, **common),
                                        CronTrigger(day_of_week=aps_day_of_week(dow), **common)])
        except CronError:
            raise
        except ValueError as exc:
            raise CronError(_which_field(minute, hour, dom, month) or f"{expr!r}: {exc}") from None

    def get_next_fire_time(self, previous_fire_time, now):
        """APScheduler's next time, moved by cronie's DST rules for fixed-time jobs."""
        candidate = self.inner.get_next_fire_time(previous_fire_time, now)
        while candidate is not None and self.fixed_time:
            adjusted = dst_adjust(candidate, self.tz)
            if adjusted is not None and (previous_fire_time is None or adjusted > previous_fire_time):
                return adjusted
            candidate = self.inner.get_next_fire_time(candidate, candidate)
        return candidate

    def __str__(self):
        return f"crontab[{self.expr} {self.tz}]"


def _which_field(minute: str, hour: str, dom: str, month: str) -> str | None:
    """The message for the first field that APScheduler refuses on its own, naming the field."""
    for name, kwarg, value in (("minute", "minute", minute), ("hour", "hour", hour),
                               ("day of month", "day", dom), ("month", "month", month)):
        try:
            CronTrigger(**{kwarg: value}, timezone=UTC)
        except ValueError as exc:
            return f"{name} field {value!r}: {exc}"
    return None


def dst_adjust(moment: datetime, tz: tzinfo) -> datetime | None:
    """Cronie's rule for a fixed wall-clock time: once in a repeated hour, at the gap's end in a skipped one."""
    wall = moment.replace(tzinfo=None)
    first = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    second = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    if first == second:
        return moment
    if first.astimezone(tz).replace(tzinfo=None) == wall:  # the wall time happens twice: keep the first
        return moment if moment.astimezone(UTC) == min(first, second) else None
    return gap_end(min(first, second), max(first, second), wall, tz)


def gap_end(lo: datetime, hi: datetime, wall: datetime, tz: tzinfo) -> datetime:
    """The first whole second in [lo, hi] whose wall-clock time in tz is at or after `wall` (a DST gap's end)."""
    lo_s, hi_s = int(lo.timestamp()), int(hi.timestamp())
    while hi_s - lo_s > 1:
        mid_s = (lo_s + hi_s) // 2
        if datetime.fromtimestamp(mid_s, tz).replace(tzinfo=None) >= wall:
            hi_s = mid_s
        else:
            lo_s = mid_s
    return datetime.fromtimestamp(hi_s, tz)
