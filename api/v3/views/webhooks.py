"""The webhook outbox, its delivery log and the signing keys (extensions of v3):

- ``GET webhook_events.json`` / ``webhook_events/{event id}.json``: every event owed
  to a receiver and its state; ``POST webhook_events/{id}/redeliver.json`` sends a
  finished one again with the same id;
- ``GET webhook_deliveries.json`` / ``webhook_deliveries/{id}.json``: one row per
  attempt (status code, latency, error, the receiver's truncated answer);
- ``GET webhook_signing_keys/{company_id}.json`` and
  ``POST webhook_signing_keys/{company_id}/rotate.json``: a company's signing key (admins).

Webhooks are configured by admins and managers, so only they read these.
"""

import uuid
from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.decorators import action
from rest_framework.mixins import ListModelMixin, RetrieveModelMixin
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Company
from api.v3.filters import BooleanStringFilter, CompanyIdFilter, V3FilterSet
from api.v3.serializers.webhooks import (
    WebhookDeliverySerializer,
    WebhookEventSerializer,
    WebhookSigningKeySerializer,
)
from api.v3.viewsets import ADMIN_AND_MANAGER, ADMIN_ONLY, V3ViewSet
from integrations.models import WebhookDelivery, WebhookEvent
from integrations.webhooks.delivery import webhook_event_redeliver
from integrations.webhooks.signing import signing_key_rotate


class UUIDFilter(django_filters.CharFilter):
    """An event id; a malformed one matches nothing (like an unknown id)."""

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        if value in (None, ""):
            return qs
        try:
            return qs.filter(**{self.field_name: uuid.UUID(str(value))})
        except ValueError:
            return qs.none()


class IntegerIdFilter(django_filters.CharFilter):
    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        if value in (None, ""):
            return qs
        if not (str(value).isascii() and str(value).isdigit()):
            return qs.none()
        return qs.filter(**{self.field_name: int(value)})


class WebhookEventFilterSet(V3FilterSet):
    company_id = CompanyIdFilter()
    integration_id = IntegerIdFilter(field_name="integration__numeric_id")
    event = django_filters.ChoiceFilter(choices=WebhookEvent.Event.choices)
    state = django_filters.ChoiceFilter(choices=WebhookEvent.State.choices)
    # The events about one call (CAL…), form submission (FOR…) or text conversation.
    call_id = django_filters.CharFilter(field_name="ordering_key")
    form_submission_id = django_filters.CharFilter(field_name="ordering_key")
    conversation_id = django_filters.CharFilter(method="filter_conversation")

    class Meta:
        model = WebhookEvent
        fields: list[str] = []

    def filter_conversation(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(ordering_key=f"conversation:{value}") if value else qs


class WebhookDeliveryFilterSet(V3FilterSet):
    company_id = CompanyIdFilter()
    integration_id = IntegerIdFilter(field_name="webhook_event__integration__numeric_id")
    event_id = UUIDFilter(field_name="webhook_event__event_id")
    event = django_filters.ChoiceFilter(field_name="webhook_event__event", choices=WebhookEvent.Event.choices)
    success = BooleanStringFilter()

    class Meta:
        model = WebhookDelivery
        fields: list[str] = []


def _uuid_lookup(value: str) -> dict[str, Any]:
    try:
        return {"event_id": uuid.UUID(str(value))}
    except ValueError as exc:
        raise exceptions.NotFound() from exc


class WebhookEventViewSet(ListModelMixin, RetrieveModelMixin, V3ViewSet):
    resource_name = "webhook_events"
    queryset = WebhookEvent.objects.select_related("company", "integration")
    serializer_class = WebhookEventSerializer
    filterset_class = WebhookEventFilterSet
    sort_fields = {"created_at": "-created_at"}
    action_roles = {"list": ADMIN_AND_MANAGER, "retrieve": ADMIN_AND_MANAGER, "redeliver": ADMIN_AND_MANAGER}

    def object_lookup(self, value: str) -> dict[str, Any]:
        return _uuid_lookup(value)

    @extend_schema(request=None, responses={200: WebhookEventSerializer})
    @action(detail=True, methods=["post"])
    def redeliver(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        event = self.get_object()
        if not event.is_finished:
            raise exceptions.ValidationError("The event is still being delivered")
        return self.render(webhook_event_redeliver(event=event))


class WebhookDeliveryViewSet(ListModelMixin, RetrieveModelMixin, V3ViewSet):
    resource_name = "webhook_deliveries"
    queryset = WebhookDelivery.objects.select_related("company", "webhook_event__integration")
    serializer_class = WebhookDeliverySerializer
    filterset_class = WebhookDeliveryFilterSet
    sort_fields = {"created_at": "-created_at"}
    action_roles = {"list": ADMIN_AND_MANAGER, "retrieve": ADMIN_AND_MANAGER}


class WebhookSigningKeyViewSet(ListModelMixin, RetrieveModelMixin, V3ViewSet):
    """Companies' webhook signing keys (reference "Webhooks / Security"): shown to admins, rotatable."""

    resource_name = "webhook_signing_keys"
    id_prefix = "COM"
    queryset = Company.objects.all()
    serializer_class = WebhookSigningKeySerializer
    sort_fields = {"name": "name"}
    default_ordering = ("name", "id")
    company_field = None
    relative_pagination = False
    action_roles = {"list": ADMIN_ONLY, "retrieve": ADMIN_ONLY, "rotate": ADMIN_ONLY}

    @extend_schema(request=None, responses={200: WebhookSigningKeySerializer})
    @action(detail=True, methods=["post"])
    def rotate(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        company = self.get_object()
        signing_key_rotate(company=company)
        return self.render(company)
