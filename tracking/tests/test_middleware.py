"""The DNI endpoints' short way through the middleware stack (``DniFastPath``)."""

import json
import uuid

import pytest

from tracking.tests.factories import session_tracker

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
ORIGIN = "https://www.alice-plumbing.example"


def visit_body() -> str:
    key = uuid.uuid4().hex
    return json.dumps({"v": key, "s": key, "u": f"{ORIGIN}/", "l": f"{ORIGIN}/"})


@pytest.fixture
def tracker(company):
    return session_tracker(company=company, size=4)


@pytest.mark.parametrize("endpoint", ["session", "heartbeat"])
def test_the_dni_endpoints_answer_without_the_rest_of_the_stack(client, company, tracker, endpoint):
    response = client.post(
        f"/dni/{company.public_id}/{endpoint}",
        data=visit_body(),
        content_type="text/plain",
        HTTP_USER_AGENT=UA,
        HTTP_ORIGIN=ORIGIN,
    )
    assert response.status_code == 200
    assert response.json()["numbers"]["4045551234"]
    assert response.resolver_match.url_name == f"dni-{endpoint}"
    # The CORS and security middleware above it still apply...
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["X-Content-Type-Options"] == "nosniff"
    # ...the session, CSRF, messages and frame-options middleware below it never ran.
    assert "X-Frame-Options" not in response
    assert "sessionid" not in response.cookies and "csrftoken" not in response.cookies
    assert not hasattr(response.wsgi_request, "user")


def test_the_form_endpoint_goes_the_short_way_too(client, company, tracker):
    company.form_capture = True  # the endpoint refuses companies without form capture
    company.save(update_fields=["form_capture"])
    key = uuid.uuid4().hex
    body = {"v": key, "s": key, "u": f"{ORIGIN}/contact", "f": {"email": "pat@example.com"}}
    response = client.post(
        f"/dni/{company.public_id}/form", data=json.dumps(body), content_type="text/plain", HTTP_USER_AGENT=UA
    )
    assert response.status_code == 201
    assert "X-Frame-Options" not in response


def test_a_preflight_is_still_answered_by_the_cors_middleware(client, company):
    response = client.options(
        f"/dni/{company.public_id}/session",
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"


def test_a_host_outside_allowed_hosts_is_refused(client, company, tracker, settings):
    settings.ALLOWED_HOSTS = ["calls.example"]
    response = client.post(
        f"/dni/{company.public_id}/session",
        data=visit_body(),
        content_type="text/plain",
        HTTP_USER_AGENT=UA,
        HTTP_HOST="attacker.example",
    )
    assert response.status_code == 400


def test_other_paths_go_down_the_whole_stack(client, company):
    # Not a DNI route: resolved by the site's URLconf (404 page), with the full stack's headers.
    response = client.post("/dni/nothing-here", data="{}", content_type="text/plain")
    assert response.status_code == 404
    assert response["X-Frame-Options"] == "DENY"
    response = client.get(f"/companies/{company.public_id}/swap.js")
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
