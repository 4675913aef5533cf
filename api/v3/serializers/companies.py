from typing import Any

from rest_framework import serializers

from accounts.fields import POSITIVE_INT_MAX
from accounts.models import Company
from api.v3.serializers.base import TimestampField, TimeZoneField, V3ModelSerializer

# Reference "Companies": at most 6 months of cookie lifetime, in any unit.
MAX_COOKIE_DURATION = {"months": 6, "weeks": 26, "days": 183}


class CompanySerializer(V3ModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True)
    # Company times are documented in UTC (examples end in "Z"), whatever the request's zone.
    created_at = TimestampField()
    disabled_at = TimestampField()
    script_url = serializers.CharField(read_only=True)
    verified_caller_ids = serializers.SerializerMethodField()

    class Meta:
        model = Company
        fields = (
            "id",
            "name",
            "status",
            "time_zone",
            "created_at",
            "disabled_at",
            "dni_active",
            "script_url",
            "callscore_enabled",
            "lead_scoring_enabled",
            "swap_exclude_jquery",
            "swap_ppc_override",
            "swap_landing_override",
            "swap_cookie_duration",
            "swap_cookie_duration_unit",
            "callscribe_enabled",
            "keyword_spotting_enabled",
            # The create example omits form_capture (checklist §5 #19); every other
            # example has it, so it is always present.
            "form_capture",
            "verified_caller_ids",
            # Our extension: the announcement recorded calls start with.
            "recording_disclosure",
            "recording_disclosure_message",
            "record_after_disclosure",
        )
        read_only_fields = fields
        extra_fields = (
            "verified_caller_ids",
            "recording_disclosure",
            "recording_disclosure_message",
            "record_after_disclosure",
        )

    def get_verified_caller_ids(self, company: Company) -> list[dict[str, str]]:
        # Prefetched by the viewset as `verified_caller_id_list` when requested.
        caller_ids = getattr(company, "verified_caller_id_list", None)
        if caller_ids is None:
            caller_ids = company.caller_ids.filter(verified=True).order_by("created_at")
        return [{"name": caller_id.name, "phone_number": caller_id.phone_number} for caller_id in caller_ids]


class RecordingDisclosureInputMixin(serializers.Serializer):
    """The announcement played before a recorded call (our extension of the company resource)."""

    recording_disclosure = serializers.BooleanField(required=False)
    recording_disclosure_message = serializers.CharField(max_length=500, required=False, trim_whitespace=True)
    record_after_disclosure = serializers.BooleanField(required=False)


class CompanyCreateInputSerializer(RecordingDisclosureInputMixin):
    name = serializers.CharField(max_length=255)
    time_zone = TimeZoneField(required=False)


class CompanyUpdateInputSerializer(RecordingDisclosureInputMixin):
    """Every key optional; omitted keys stay unchanged. Booleans also arrive as "true"."""

    name = serializers.CharField(max_length=255, required=False)
    time_zone = TimeZoneField(required=False)
    callscore_enabled = serializers.BooleanField(required=False)
    lead_scoring_enabled = serializers.BooleanField(required=False)
    keyword_spotting_enabled = serializers.BooleanField(required=False)
    callscribe_enabled = serializers.BooleanField(required=False)
    swap_exclude_jquery = serializers.BooleanField(required=False, allow_null=True)
    swap_ppc_override = serializers.BooleanField(required=False)
    # A parameter name enables the override; null (or "") disables it.
    swap_landing_override = serializers.CharField(max_length=100, required=False, allow_null=True, allow_blank=True)
    swap_cookie_duration = serializers.IntegerField(required=False, min_value=1, max_value=POSITIVE_INT_MAX)
    swap_cookie_duration_unit = serializers.ChoiceField(choices=Company.CookieDurationUnit.choices, required=False)
    # The request spells it external_form_capture; responses say form_capture.
    external_form_capture = serializers.BooleanField(required=False, source="form_capture")

    def __init__(self, *args: Any, company: Company | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.company = company

    def validate_swap_landing_override(self, value: str | None) -> str | None:
        return value or None

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        duration = attrs.get("swap_cookie_duration", getattr(self.company, "swap_cookie_duration", 6))
        unit = attrs.get("swap_cookie_duration_unit", getattr(self.company, "swap_cookie_duration_unit", "months"))
        if duration > MAX_COOKIE_DURATION[unit]:
            raise serializers.ValidationError(
                {"swap_cookie_duration": f"at most 6 months ({MAX_COOKIE_DURATION[unit]} {unit})"}
            )
        return attrs


class CompanyBulkUpdateInputSerializer(serializers.Serializer):
    company_ids = serializers.ListField(child=serializers.CharField(), allow_empty=False)
    external_form_capture = serializers.BooleanField(required=False)


class BulkUpdateResultSerializer(serializers.Serializer):
    updated_records = serializers.IntegerField()
