"""Schedules: crontab meaning, fire times, managing schedules, firing each time once, the leader's timetable.

May import `jobs` (a fire submits a job), `storage` and the core modules; the API and the CLI import it.
"""
