"""A schedule's job template: its placeholders filled with a fire time, and checked as a submitted job would be."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from batchsvc.errors import BatchsvcError, DeploymentNotFound, InvalidRequest, ModelNotFound, NotFound
from batchsvc.jobs.accept import check_request
from batchsvc.schemas import AssetInput, JobRequest, problems
from batchsvc.storage.services import Services

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
KNOWN = ("date", "datetime", "schedule")
DATETIME_FORMAT = "%Y-%m-%dT%H%M%S%z"  # no colons, so it can name a file anywhere; the offset keeps it unique


def placeholders(template: dict) -> set[str]:
    """The {names} used in input.path and name."""
    texts = [template.get("name") or "", (template.get("input") or {}).get("path") or "",
             (template.get("output") or {}).get("path") or ""]
    return {m for text in texts for m in PLACEHOLDER.findall(text)}


def fill(template: dict, schedule_name: str, fire_time: datetime, tz: str) -> JobRequest:
    """The job request for one fire time: {date}, {datetime} (in the schedule's timezone) and {schedule} filled."""
    local = fire_time.astimezone(ZoneInfo(tz))
    values = {"date": local.strftime("%Y-%m-%d"), "datetime": local.strftime(DATETIME_FORMAT),
              "schedule": schedule_name}
    body = dict(template)
    body["name"] = _fill(template.get("name") or "{schedule} {datetime}", values)
    if "path" in (template.get("input") or {}):
        body["input"] = {**template["input"], "path": _fill(template["input"]["path"], values)}
    if (template.get("output") or {}).get("path"):
        body["output"] = {**template["output"], "path": _fill(template["output"]["path"], values)}
    return JobRequest.model_validate(body)


def _fill(text: str, values: dict) -> str:
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def check(svc: Services, template: dict, schedule_name: str, sample_time: datetime, tz: str) -> None:
    """Refuse a template that could never submit: unknown placeholders, a model that does not resolve, an input
    outside the data roots or not matching the model. A path with placeholders may name a file that does not
    exist yet (it is checked again at each fire); a path without any must exist now."""
    unknown = placeholders(template) - set(KNOWN)
    if unknown:
        raise InvalidRequest(f"unknown placeholder {{{sorted(unknown)[0]}}} in the job template; use "
                             f"{', '.join('{' + k + '}' for k in KNOWN)}", field="job")
    try:
        request = fill(template, schedule_name, sample_time, tz)
        dynamic_path = isinstance(request.input, AssetInput) and bool(
            PLACEHOLDER.search(template["input"]["path"]))
        check_request(svc, request, must_exist=not dynamic_path)
    except ValidationError as exc:
        problem = problems(exc)[0]
        where = problem["field"]
        raise InvalidRequest(f"job.{where}: {problem['message']} (after filling placeholders)",
                             field=f"job.{where}") from None
    except NotFound as exc:
        field = {ModelNotFound: "job.model", DeploymentNotFound: "job.deployment"}.get(type(exc), "job.input")
        raise InvalidRequest(f"{field}: {exc.message}", field=field) from None
    except BatchsvcError as exc:
        named = exc.details.get("field")
        raise InvalidRequest(exc.message, field=f"job.{named}" if named else "job") from None
