from typing import Any

from rest_framework import serializers

from api.v3.serializers.base import V3ModelSerializer
from integrations.models import SummaryEmail
from integrations.services import SUMMARY_EMAIL_FREQUENCIES, SUMMARY_EMAIL_LEAD_STATUSES, SUMMARY_EMAIL_SECTIONS


class SummaryEmailSerializer(V3ModelSerializer):
    """A subscription as listed; create and update answers add ``filters``, as the
    reference's examples do."""

    id = serializers.CharField(source="public_id", read_only=True)
    scope = serializers.SerializerMethodField()
    user = serializers.SerializerMethodField()
    email = serializers.SerializerMethodField()
    filters = serializers.SerializerMethodField()

    class Meta:
        model = SummaryEmail
        fields = ("id", "scope", "frequency", "config", "user", "email", "filters")
        read_only_fields = fields
        extra_fields = ("filters",)

    def get_scope(self, summary: SummaryEmail) -> dict[str, str]:
        if summary.company_id:
            return {"id": summary.company.public_id, "type": "Company", "name": summary.company.name}
        return {"id": summary.account.public_id, "type": "Account", "name": summary.account.name}

    def get_user(self, summary: SummaryEmail) -> dict[str, str] | None:
        if summary.user_id is None:
            return None
        user = summary.user
        return {"id": user.public_id, "name": user.name, "email": user.email}

    def get_email(self, summary: SummaryEmail) -> str | None:
        return summary.email or None

    def get_filters(self, summary: SummaryEmail) -> dict[str, str]:
        return {"lead_status": summary.lead_status_filter}


class SummaryEmailConfigSerializer(serializers.Serializer):
    summary_statistics = serializers.BooleanField(required=False)
    top_sources = serializers.BooleanField(required=False)
    top_keywords = serializers.BooleanField(required=False)
    call_log = serializers.BooleanField(required=False)

    def to_internal_value(self, data: Any) -> dict[str, bool]:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(SUMMARY_EMAIL_SECTIONS))
            if unknown:
                raise serializers.ValidationError(f"unknown sections: {', '.join(unknown)}")
        values = super().to_internal_value(data)
        if not values:
            raise serializers.ValidationError(f"needs at least one of {', '.join(SUMMARY_EMAIL_SECTIONS)}")
        return values


class SummaryEmailFiltersSerializer(serializers.Serializer):
    lead_status = serializers.ChoiceField(choices=SUMMARY_EMAIL_LEAD_STATUSES, required=False)


class SummaryEmailUpdateInputSerializer(serializers.Serializer):
    frequency = serializers.ListField(
        child=serializers.ChoiceField(choices=SUMMARY_EMAIL_FREQUENCIES), allow_empty=False, required=False
    )
    # Documented as required on update; a request that only changes the frequency
    # is still accepted (sections then stay as they are).
    config = SummaryEmailConfigSerializer(required=False)
    filters = SummaryEmailFiltersSerializer(required=False)


class SummaryEmailCreateInputSerializer(serializers.Serializer):
    frequency = serializers.ListField(
        child=serializers.ChoiceField(choices=SUMMARY_EMAIL_FREQUENCIES), allow_empty=False
    )
    config = SummaryEmailConfigSerializer()
    filters = SummaryEmailFiltersSerializer(required=False)
    company_id = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    user_id = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    email = serializers.EmailField(required=False, allow_null=True, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("user_id") and not attrs.get("email"):
            raise serializers.ValidationError("Either user_id or email is required")
        return attrs
