"""/v1/schedules: create, list, read, change (pause/resume), delete, fire now, events."""

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from batchsvc.api.auth import principal
from batchsvc.api.jobs import present as present_job
from batchsvc.api.params import read_json
from batchsvc.api.state import services
from batchsvc.clock import now
from batchsvc.scheduling import firing
from batchsvc.scheduling import manage as schedules
from batchsvc.scheduling.schemas import SchedulePatch, ScheduleRequest


async def create(request: Request) -> Response:
    svc = services(request)
    body = await read_json(request, ScheduleRequest)
    record = await run_in_threadpool(lambda: schedules.create(svc, body, created_by=principal(request).name))
    return JSONResponse(schedules.present(record), status_code=201)


async def list_schedules(request: Request) -> Response:
    records = await run_in_threadpool(services(request).schedules.all)
    return JSONResponse({"schedules": [schedules.present(r) for r in records]})


async def get(request: Request) -> Response:
    record = await run_in_threadpool(services(request).schedules.get, request.path_params["schedule_id"])
    return JSONResponse(schedules.present(record))


async def change(request: Request) -> Response:
    svc = services(request)
    body = await read_json(request, SchedulePatch)
    record = await run_in_threadpool(schedules.change, svc, request.path_params["schedule_id"], body)
    return JSONResponse(schedules.present(record))


async def delete(request: Request) -> Response:
    await run_in_threadpool(schedules.delete, services(request), request.path_params["schedule_id"])
    return Response(status_code=204)


async def run_now(request: Request) -> Response:
    """Fire once now, outside the timetable; a template that cannot submit answers its error (and is recorded)."""
    svc = services(request)
    record = await run_in_threadpool(svc.schedules.get, request.path_params["schedule_id"])
    job = await run_in_threadpool(lambda: firing.submit(svc, record, now(), request.app.state.enqueue,
                                                        raise_errors=True, manual=True))
    assert job is not None  # raise_errors=True: a fire that cannot submit raises
    return JSONResponse(present_job(job), status_code=202)


async def events(request: Request) -> Response:
    svc = services(request)
    return JSONResponse({"events": await run_in_threadpool(svc.schedules.events, request.path_params["schedule_id"])})
