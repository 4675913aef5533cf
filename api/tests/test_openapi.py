"""The OpenAPI description matches what the server does: schemathesis generates
requests from ``/v3/openapi.json`` for every operation and checks that no answer
is a server error and that every answer fits the documented schema."""

import json
import re
from collections import Counter
from collections.abc import Iterator

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import Tag
from api.tests.factories import (
    CallFactory,
    PersonFactory,
    TextConversationFactory,
    TextMessageFactory,
    TrackerFactory,
    TrackingNumberFactory,
)
from api.v3.schema import V3SchemaGenerator
from integrations.models import Integration, IntegrationTrigger, Notification, SummaryEmail
from telephony.models import OutboundCallerId

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def seeded(account, company, admin_user, settings):
    # Generated requests come by the hundred: the general limit is not under test here.
    settings.API_RATE_LIMITS = {"general": (1_000_000, 1_000_000)}
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    tracker = TrackerFactory(company=company)
    TrackingNumberFactory(tracker=tracker)
    person = PersonFactory(company=company)
    CallFactory.create_batch(3, company=company, tracker=tracker, person=person)
    conversation = TextConversationFactory(company=company, person=person, initial_tracker=tracker)
    TextMessageFactory(conversation=conversation)
    Tag.objects.create(account=account, company=company, name="Sales")
    webhooks = Integration.objects.create(
        account=account, company=company, type="Webhooks", config={"post_call_webhook": ["https://example.com/hook"]}
    )
    IntegrationTrigger.objects.create(account=account, company=company, integration=webhooks, min_duration=5)
    Notification.objects.create(account=account, user=admin_user, company=company)
    SummaryEmail.objects.create(account=account, user=admin_user, frequency=["daily"], config={"call_log": True})
    OutboundCallerId.objects.create(account=account, company=company, phone_number="+14045550101", name="Cell")
    return account


def _document() -> dict:
    """The OpenAPI document as the server renders it (generated once, without a request)."""
    from drf_spectacular.renderers import OpenApiJsonRenderer

    raw = V3SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(raw))


DOCUMENT = _document()
OPERATIONS = [
    pytest.param(method.upper(), path, id=f"{method.upper()} {path}")
    for path, operations in DOCUMENT["paths"].items()
    for method in operations
    if method in ("get", "post", "put", "delete")
]


@pytest.fixture
def wsgi_app():
    # Requests go through the real WSGI handler inside the test's transaction: keep it from
    # closing the database connection after each request, as Django's test client does.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _summary(exc: BaseException) -> str:
    """The first lines of each distinct failure (schemathesis' own report is long)."""
    inner = getattr(exc, "exceptions", None) or [exc]
    return "\n".join("\n".join(str(item).split("\n")[:14])[:1500] for item in inner)


TALLY: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def report(request: pytest.FixtureRequest) -> Iterator[None]:
    """The number of generated requests and of answers >= 500, shown after the module's run."""
    yield
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(f"\nOpenAPI operations fuzzed: {TALLY['requests']} requests, {TALLY['5xx']} answers >= 500")


CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_the_api_matches_its_openapi_description(method, path, seeded, wsgi_app, api_client, company):
    """Generated requests (a dozen per operation) aimed at the key's own account, where
    the seeded rows are, with its Authorization header."""
    schema = schemathesis.openapi.from_dict(DOCUMENT)
    schema.app = wsgi_app
    operation = next(
        result.ok()
        for result in schema.get_all_operations()
        if (result.ok().method.upper(), result.ok().path) == (method, path)
    )
    path_parameters = {"account_id": seeded.public_id} if "{account_id}" in path else None
    strategy = operation.as_strategy(
        path_parameters=path_parameters, headers={"Authorization": api_client._credentials["HTTP_AUTHORIZATION"]}
    )

    @settings(max_examples=12, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def run(case: schemathesis.Case) -> None:
        if isinstance(case.query, dict) and "company_id" in case.query:
            case.query["company_id"] = company.public_id
        response = case.call_and_validate(checks=CHECKS)
        TALLY["requests"] += 1
        TALLY["5xx"] += response.status_code >= 500

    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:
        pytest.fail(_summary(exc), pytrace=False)


# Actions that take no parameters at all.
BODILESS = {
    ("post", "/v3/a/{account_id}/webhook_events/{id}/redeliver.json"),
    ("post", "/v3/a/{account_id}/webhook_signing_keys/{id}/rotate.json"),
}
WRITES = [
    pytest.param(method, path, id=f"{method.upper()} {path}")
    for path, operations in DOCUMENT["paths"].items()
    for method in operations
    if method in ("post", "put", "patch") and (method, path) not in BODILESS
]


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_every_operation_that_takes_a_body_documents_it(method, path):
    operation = DOCUMENT["paths"][path][method]
    content = operation.get("requestBody", {}).get("content", {})
    assert "application/json" in content, f"{method.upper()} {path} has no JSON request body"
    assert content["application/json"].get("schema"), f"{method.upper()} {path}: the request body has no schema"


def test_the_description_is_served(client):
    response = client.get("/v3/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    for path in (
        "/v3/a.json",
        "/v3/a/{account_id}/companies.json",
        "/v3/a/{account_id}/companies/bulk_update.json",
        "/v3/a/{account_id}/integration_triggers.json",
        "/v3/a/{account_id}/summary_emails/{id}.json",
    ):
        assert path in paths
    assert not [path for path in paths if "{format}" in path or path.endswith("/")]
    assert document["components"]["securitySchemes"]["TokenAuth"]["name"] == "Authorization"


def test_the_docs_page_uses_no_cdn(client):
    response = client.get("/v3/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/v3/openapi.json" in html
    sources = re.findall(r'src="([^"]+)"', html)
    assert sources and all(not source.startswith(("http:", "https:", "//")) for source in sources)
