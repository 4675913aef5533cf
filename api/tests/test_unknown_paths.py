"""Unknown paths under /v3/ answer the API's JSON error, in every mode."""

import pytest

pytestmark = pytest.mark.django_db

PATHS = (
    "/v3/nothing-here",
    "/v3/a/ACC123/no-such-resource.json",
    "/v3/a/ACC123/calls",  # the unsuffixed form of a real path
    "/v3/a/ACC123/calls.xml",
)


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", PATHS)
def test_it_answers_json_404(client, settings, debug, path):
    settings.DEBUG = debug
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": "Not found"}


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_unsafe_methods_are_404_not_csrf_failures(client, settings, method):
    settings.DEBUG = True
    response = getattr(client, method)("/v3/a/ACC123/nothing.json", data="{}", content_type="application/json")
    assert response.status_code == 404
    assert response.json() == {"error": "Not found"}


def test_pages_outside_the_api_keep_djangos_404(client, settings):
    settings.DEBUG = True
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "application/json" not in response["Content-Type"]
