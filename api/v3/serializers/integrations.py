from typing import Any

from rest_framework import serializers

from accounts.fields import NUMERIC_ID_MAX, POSITIVE_INT_MAX
from api.v3.serializers.base import RelatedIdField, V3ModelSerializer
from integrations.models import Integration, IntegrationTrigger


class IntegrationSerializer(V3ModelSerializer):
    id = serializers.IntegerField(source="numeric_id", read_only=True)
    signing_key = serializers.SerializerMethodField()

    class Meta:
        model = Integration
        fields = ("id", "type", "state", "config", "signing_key")
        read_only_fields = fields
        extra_fields = ("signing_key",)

    def get_signing_key(self, integration: Integration) -> str | None:
        # The company's HMAC secret for the Signature header (reference "Webhooks Security").
        return integration.company.webhook_signing_key if integration.type == Integration.Type.WEBHOOKS else None

    def to_representation(self, instance: Integration) -> dict[str, Any]:
        data = super().to_representation(instance)
        # signing_key exists only on Webhooks integrations (reference "Additional User Requested Response Fields").
        if data.get("signing_key", "") is None:
            data.pop("signing_key")
        return data


class IntegrationCreateInputSerializer(serializers.Serializer):
    company_id = serializers.CharField()
    type = serializers.ChoiceField(choices=Integration.Type.choices)
    config = serializers.JSONField(required=False)


class IntegrationUpdateInputSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=[Integration.State.ACTIVE, Integration.State.DISABLED], required=False)
    config = serializers.JSONField(required=False)


DEFAULT_TRIGGER_TYPE = "All (Default Integration Trigger)"


class IntegrationTriggerSerializer(V3ModelSerializer):
    id = serializers.IntegerField(source="numeric_id", read_only=True)
    company_id = RelatedIdField(source="company")
    integration_id = RelatedIdField(source="integration", attribute="numeric_id")
    integration = serializers.SerializerMethodField()

    class Meta:
        model = IntegrationTrigger
        fields = (
            "id",
            "company_id",
            "integration_id",
            "tracker_ids",
            "call_type",
            "min_duration",
            "max_duration",
            "lead_status",
            "integration",
        )
        read_only_fields = fields

    def get_integration(self, trigger: IntegrationTrigger) -> dict[str, Any]:
        # Sideloaded (reference "Integration Triggers"); the company default has no integration.
        if trigger.integration is None:
            return {"id": None, "type": DEFAULT_TRIGGER_TYPE}
        return {"id": trigger.integration.numeric_id, "type": trigger.integration.type}


class LeadStatusField(serializers.Field):
    """``good_lead`` / ``not_a_lead`` / null. The reference types it as an integer and
    shows ``1``, so 1 and 0 are read as good_lead and not_a_lead; the names are
    what is stored and returned (they are the documented values)."""

    def to_internal_value(self, data: Any) -> str | None:
        if data in (None, ""):
            return None
        mapped = {"1": "good_lead", "0": "not_a_lead"}.get(str(data).strip(), str(data).strip())
        if mapped not in ("good_lead", "not_a_lead"):
            raise serializers.ValidationError("must be good_lead, not_a_lead or null")
        return mapped

    def to_representation(self, value: str | None) -> str | None:
        return value


class IntegrationTriggerUpdateInputSerializer(serializers.Serializer):
    tracker_ids = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True)
    call_type = serializers.ChoiceField(
        choices=IntegrationTrigger.CallType.choices, required=False, allow_null=True, allow_blank=True
    )
    # The update table types the durations as strings (checklist §5 #29): numbers in strings are accepted.
    # Bounded by their columns (PositiveIntegerField): a larger number is a 400, not an overflow.
    min_duration = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=POSITIVE_INT_MAX)
    max_duration = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=POSITIVE_INT_MAX)
    lead_status = LeadStatusField(required=False, allow_null=True)

    def validate_call_type(self, value: str | None) -> str | None:
        return value or None

    def validate_tracker_ids(self, value: list[str] | None) -> list[str]:
        return list(dict.fromkeys(value or []))


class IntegrationTriggerCreateInputSerializer(IntegrationTriggerUpdateInputSerializer):
    company_id = serializers.CharField()
    # Absent or null: the company's default trigger.
    integration_id = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=NUMERIC_ID_MAX)
