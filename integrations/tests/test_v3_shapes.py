import pytest
from django.core.exceptions import ImproperlyConfigured

from api.v3.webhook_renderers import RENDERERS
from integrations import v3_shapes
from integrations.tests.conftest import make_call
from integrations.webhooks.payloads import call_payload

pytestmark = pytest.mark.django_db


def test_the_api_hands_its_renderers_over_when_it_starts():
    assert v3_shapes.v3_renderers() is RENDERERS


def test_a_call_body_without_the_apis_renderers_fails_loudly(tracker, monkeypatch):
    call = make_call(tracker)
    monkeypatch.setattr(v3_shapes, "_registered", None)
    with pytest.raises(ImproperlyConfigured, match="'api' app"):
        call_payload(call, occurred_at=call.start_time)
