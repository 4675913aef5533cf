from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from accounts.models import Company
from accounts.services import allowed_origins_validate, cookie_duration_check
from api.v3.serializers.base import TimestampField, TimeZoneField, V3ModelSerializer

CONSENT_HELP = (
    "Extension. When true, swap.js sets no cookie and makes no request until the page reports the visitor's consent."
)
ORIGINS_HELP = (
    "Extension. The sites (origins such as https://www.example.com) whose pages may use this company's "
    "numbers; an empty list allows any site."
)


class CompanySerializer(V3ModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True)
    # Company times are documented in UTC (examples end in "Z"), whatever the request's zone.
    created_at = TimestampField()
    disabled_at = TimestampField()
    script_url = serializers.CharField(read_only=True)
    verified_caller_ids = serializers.SerializerMethodField()
    consent_required = serializers.BooleanField(read_only=True, help_text=CONSENT_HELP)
    allowed_origins = serializers.ListField(child=serializers.CharField(), read_only=True, help_text=ORIGINS_HELP)

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
            "consent_required",
            "allowed_origins",
        )
        read_only_fields = fields
        extra_fields = ("verified_caller_ids", "consent_required", "allowed_origins")

    def get_verified_caller_ids(self, company: Company) -> list[dict[str, str]]:
        # Prefetched by the viewset as `verified_caller_id_list` when requested.
        caller_ids = getattr(company, "verified_caller_id_list", None)
        if caller_ids is None:
            caller_ids = company.caller_ids.filter(verified=True).order_by("created_at")
        return [{"name": caller_id.name, "phone_number": caller_id.phone_number} for caller_id in caller_ids]


class CompanyCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    time_zone = TimeZoneField(required=False)


class CompanyUpdateInputSerializer(serializers.Serializer):
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
    swap_cookie_duration = serializers.IntegerField(required=False, min_value=1)
    swap_cookie_duration_unit = serializers.ChoiceField(choices=Company.CookieDurationUnit.choices, required=False)
    # The request spells it external_form_capture; responses say form_capture.
    external_form_capture = serializers.BooleanField(required=False, source="form_capture")
    consent_required = serializers.BooleanField(required=False, help_text=CONSENT_HELP)
    allowed_origins = serializers.ListField(
        child=serializers.CharField(allow_blank=True), required=False, allow_empty=True, help_text=ORIGINS_HELP
    )

    def __init__(self, *args: Any, company: Company | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.company = company

    def validate_swap_landing_override(self, value: str | None) -> str | None:
        return value or None

    def validate_allowed_origins(self, value: list[str]) -> list[str]:
        try:
            return allowed_origins_validate(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        duration = attrs.get("swap_cookie_duration", getattr(self.company, "swap_cookie_duration", 6))
        unit = attrs.get("swap_cookie_duration_unit", getattr(self.company, "swap_cookie_duration_unit", "months"))
        try:
            cookie_duration_check(duration, unit)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"swap_cookie_duration": exc.messages[0]}) from exc
        return attrs


class CompanyBulkUpdateInputSerializer(serializers.Serializer):
    company_ids = serializers.ListField(child=serializers.CharField(), allow_empty=False)
    external_form_capture = serializers.BooleanField(required=False)


class BulkUpdateResultSerializer(serializers.Serializer):
    updated_records = serializers.IntegerField()
