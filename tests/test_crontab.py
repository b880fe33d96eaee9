"""Crontab strings keep their standard meaning when translated for APScheduler."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from batchsvc.scheduling.crontab import CronError, CrontabTrigger

BERLIN = ZoneInfo("Europe/Berlin")
UTC = UTC


def fire_times(expr: str, start: datetime, count: int, tz=UTC) -> list[str]:
    """The next `count` fire times after `start`, as UTC ISO strings."""
    trigger, previous, out = CrontabTrigger(expr, tz), None, []
    now = start
    for _ in range(count):
        previous = trigger.get_next_fire_time(previous, now)
        now = previous
        out.append(previous.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ"))
    return out


@pytest.mark.parametrize("sunday", ["0", "7", "sun", "SUN"])
def test_sunday_is_0_and_7_and_sun(sunday):
    # Given 2026-11-23, a Monday; When a job runs at 09:00 on day-of-week `sunday`
    times = fire_times(f"0 9 * * {sunday}", datetime(2026, 11, 23, tzinfo=UTC), 2)
    # Then it fires on the following Sundays (APScheduler alone would pick Mondays for 0)
    assert times == ["2026-11-29T09:00Z", "2026-12-06T09:00Z"]


def test_mon_fri_skips_the_weekend():
    # Given Friday 2026-11-27; When a job runs at 08:00 mon-fri; Then Saturday and Sunday are skipped
    times = fire_times("0 8 * * mon-fri", datetime(2026, 11, 27, tzinfo=UTC), 3)
    assert times == ["2026-11-27T08:00Z", "2026-11-30T08:00Z", "2026-12-01T08:00Z"]


def test_a_range_ending_in_7_wraps_to_sunday():
    times = fire_times("0 0 * * 5-7", datetime(2026, 11, 23, tzinfo=UTC), 4)
    assert times == ["2026-11-27T00:00Z", "2026-11-28T00:00Z", "2026-11-29T00:00Z", "2026-12-04T00:00Z"]


def test_every_15_minutes_is_on_the_quarter_hours():
    times = fire_times("*/15 * * * *", datetime(2026, 11, 23, 10, 7, tzinfo=UTC), 4)
    assert times == ["2026-11-23T10:15Z", "2026-11-23T10:30Z", "2026-11-23T10:45Z", "2026-11-23T11:00Z"]


def test_day_of_month_or_day_of_week_as_in_crontab():
    # Given both fields restricted; Then either matching fires (the 1st, a Tuesday, and every Monday)
    times = fire_times("0 9 1 * mon", datetime(2026, 11, 24, tzinfo=UTC), 3)
    assert times == ["2026-11-30T09:00Z", "2026-12-01T09:00Z", "2026-12-07T09:00Z"]


def test_spring_forward_in_berlin_fires_a_skipped_time_once_when_the_gap_ends():
    # Given 2026-03-29, when Berlin's clocks jump from 02:00 to 03:00
    start = datetime(2026, 3, 28, 12, tzinfo=BERLIN)
    # When jobs are due at 02:00 and 02:30, times that do not exist that day
    times = fire_times("0,30 2 * * *", start, 3, BERLIN)
    # Then they fire once, at 03:00 CEST (01:00Z), and at 02:00/02:30 CEST (UTC+2) the next day
    assert times == ["2026-03-29T01:00Z", "2026-03-30T00:00Z", "2026-03-30T00:30Z"]


def test_fall_back_in_berlin_fires_a_fixed_time_once_and_an_hourly_job_every_real_hour():
    # Given 2026-10-25, when Berlin's 02:00-03:00 happens twice (CEST, then CET)
    start = datetime(2026, 10, 24, 12, tzinfo=BERLIN)
    # Then a 02:30 job fires once that day (the first 02:30, 00:30Z)
    assert fire_times("30 2 * * *", start, 2, BERLIN) == ["2026-10-25T00:30Z", "2026-10-26T01:30Z"]
    # And an hourly job fires in both 02:00 hours, as real time passes
    hourly = fire_times("0 * * * *", datetime(2026, 10, 25, 1, 30, tzinfo=BERLIN), 3, BERLIN)
    assert hourly == ["2026-10-25T00:00Z", "2026-10-25T01:00Z", "2026-10-25T02:00Z"]


def test_a_midnight_job_in_berlin_fires_at_local_midnight():
    # Given winter time (UTC+1); Then 00:00 Berlin is 23:00Z the day before
    assert fire_times("@daily", datetime(2026, 11, 23, 12, tzinfo=UTC), 1, BERLIN) == ["2026-11-23T23:00Z"]


@pytest.mark.parametrize("expr, says", [
    ("* * * *", "5 fields"),
    ("61 * * * *", "61"),
    ("* 24 * * *", "24"),
    ("* * * * 8", "0-7"),
    ("* * * * funday", "day of week"),
    ("* * L * *", "day of month"),
    ("*/0 * * * *", "higher than 0"),
    ("* * * * 5-1", "backwards"),
])
def test_bad_crontab_strings_are_refused_with_a_reason(expr, says):
    with pytest.raises(CronError, match=says):
        CrontabTrigger(expr, UTC)
