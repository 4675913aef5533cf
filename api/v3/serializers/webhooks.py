"""The webhook outbox and delivery log, as the API shows them (an extension of v3:
CallRail has no delivery log). Times are UTC."""

import json
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.v3.serializers.base import RelatedIdField, TimestampField, V3Serializer
from integrations.models import WebhookDelivery, WebhookEvent


class WebhookEventSerializer(V3Serializer):
    id = serializers.CharField(source="event_id", read_only=True)
    event = serializers.CharField(read_only=True)
    company_id = RelatedIdField(source="company")
    integration_id = RelatedIdField(source="integration", attribute="numeric_id")
    url = serializers.CharField(read_only=True)
    state = serializers.CharField(read_only=True)
    attempts = serializers.IntegerField(read_only=True)
    next_attempt_at = serializers.SerializerMethodField()
    retry_until = TimestampField()
    last_status_code = serializers.IntegerField(read_only=True, allow_null=True)
    last_error = serializers.SerializerMethodField()
    created_at = TimestampField()
    finished_at = TimestampField()
    # The exact body sent (and signed), only on request: it can be large.
    payload = serializers.SerializerMethodField()

    class Meta:
        extra_fields = ("payload",)

    def get_next_attempt_at(self, event: WebhookEvent) -> str | None:
        if event.is_finished:
            return None
        return self.fields["created_at"].to_representation(event.next_attempt_at)

    def get_last_error(self, event: WebhookEvent) -> str | None:
        return event.last_error or None

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_payload(self, event: WebhookEvent) -> Any:
        return json.loads(event.body)


class WebhookDeliverySerializer(V3Serializer):
    id = serializers.IntegerField(source="numeric_id", read_only=True)
    event_id = serializers.CharField(source="webhook_event.event_id", read_only=True)
    event = serializers.CharField(source="webhook_event.event", read_only=True)
    company_id = RelatedIdField(source="company")
    integration_id = serializers.IntegerField(source="webhook_event.integration.numeric_id", read_only=True)
    url = serializers.CharField(read_only=True)
    attempt = serializers.IntegerField(read_only=True)
    success = serializers.BooleanField(read_only=True)
    status_code = serializers.IntegerField(read_only=True, allow_null=True)
    latency_ms = serializers.IntegerField(read_only=True, allow_null=True)
    error = serializers.SerializerMethodField()
    response_headers = serializers.JSONField(read_only=True)
    response_body = serializers.CharField(read_only=True)
    created_at = TimestampField()

    def get_error(self, delivery: WebhookDelivery) -> str | None:
        return delivery.error or None


class WebhookSigningKeySerializer(serializers.Serializer):
    company_id = serializers.CharField(source="public_id", read_only=True)
    signing_key = serializers.CharField(source="webhook_signing_key", read_only=True)
