"""The API's shape, in process: /openapi.json, methods, the operational routes and the web page.

Moved here from tests/test_openapi.py (the schemathesis run against a served API stays there) and
tests/test_jobs_inline.py (the dashboard page).
"""

from urllib.parse import urlparse

from openapi_spec_validator import validate

from batchsvc.api.app import ENDPOINTS


def test_the_document_validates_as_openapi_3_and_lists_every_route(client):
    # When a client fetches the API's description
    document = client.get("/openapi.json").json()
    # Then it is valid OpenAPI 3.x, with every route of the endpoint table, and typed JSON answers
    validate(document)
    assert document["openapi"].startswith("3.")
    for e in ENDPOINTS:
        operation = document["paths"][e.path][e.method.lower()]
        answer = operation["responses"][str(e.status)]
        if e.response is not None:
            assert answer["content"]["application/json"]["schema"]["$ref"].endswith(e.response.__name__)


def test_a_wrong_method_is_a_405_listing_every_method_of_the_path(client):
    # When a path is called with a method it does not take
    response = client.request("PATCH", "/v1/jobs/some-id")
    # Then the API answers 405 and Allow names every method the document gives for that path
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) >= {"GET", "DELETE"}


def test_the_console_page_is_served_with_its_own_script_and_stylesheet(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "/console/app.js" in page.text and "/console/style.css" in page.text


def test_healthz_answers_and_readyz_sees_redis_and_no_worker_here(client, svc):
    # Given an in-process API on a namespace that no worker serves
    # When a load balancer asks, Then the process is up, Redis answers (the one named by the URL: no Sentinel
    # here), and no live worker is counted
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    port = urlparse(svc.settings.redis_url).port
    assert ready.status_code == 200 and ready.json() == {"status": "ok", "redis": "ok", "workers": 0,
                                                         "primary": f"127.0.0.1:{port}"}


def test_metrics_are_prometheus_text_with_the_job_and_row_families(client):
    # When Prometheus scrapes the in-process API, Then it gets text with the job and row families
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    assert "batchsvc_jobs" in response.text and "batchsvc_rows_scored" in response.text


def test_every_error_the_document_lists_for_a_route_is_described(client):
    # Given the endpoint table, When the document is read, Then every error status of a route is in it
    document = client.get("/openapi.json").json()
    for e in ENDPOINTS:
        responses = document["paths"][e.path][e.method.lower()]["responses"]
        assert {str(code) for code in e.errors} <= set(responses), (e.method, e.path)
