"""Access to the app's shared services from a request."""

from starlette.requests import Request

from batchsvc.storage.services import Services


def services(request: Request) -> Services:
    return request.app.state.services
