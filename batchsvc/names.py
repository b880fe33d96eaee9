"""Names people give things (models, aliases, schedules, API keys): one rule, one check, one message.

A name starts with a letter or digit, then letters, digits, '_', '.' or '-' (API key names may also hold
'@'), so it is always one safe path component and one Redis key part.
"""

import re

from batchsvc.errors import InvalidRequest

NAME_MAX_CHARS = 64
SCHEDULE_NAME_MAX_CHARS = 100


def name_pattern(max_chars: int = NAME_MAX_CHARS, extra: str = "") -> str:
    """The regular expression of a name of at most max_chars characters (extra: more allowed characters)."""
    return rf"^[A-Za-z0-9][A-Za-z0-9_.{re.escape(extra)}-]{{0,{max_chars - 1}}}$"


NAME = re.compile(name_pattern())
KEY_NAME = re.compile(name_pattern(extra="@"))
SCHEDULE_NAME = name_pattern(SCHEDULE_NAME_MAX_CHARS)


def check_name(name: str, what: str = "model name", pattern: re.Pattern = NAME, field: str = "name") -> str:
    """The name, or a 422 naming the field and the rule it breaks."""
    if not pattern.match(name or ""):
        extra = ", '@'" if "@" in pattern.pattern else ""
        raise InvalidRequest(f"{what} {name!r} must be 1-{NAME_MAX_CHARS} letters, digits, '_', '.'{extra} or '-'",
                             field=field)
    return name
