from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from accounts.fields import POSITIVE_INT_MAX
from accounts.models import Company
from accounts.services import allowed_origins_validate, cookie_duration_check
from api.v3.serializers.base import TimestampField, TimeZoneField, V3ModelSerializer
from integrations.conversions import feed_path
from integrations.models import ConversionSettings
from telephony.links import absolute_url

CONSENT_HELP = (
    "Extension. When true, swap.js sets no cookie and makes no request until the page reports the visitor's consent."
)
ORIGINS_HELP = (
    "Extension. The sites (origins such as https://www.example.com) whose pages may use this company's "
    "numbers; an empty list allows any site."
)


# Our extension of the company: call conversions (``integrations.conversions``).
CONVERSION_FIELDS = ("call_conversion", "google_ads_feed_url", "ga4_measurement_id")


class CallConversionInputSerializer(serializers.Serializer):
    """Which calls count as conversions; every key optional (omitted keys stay unchanged)."""

    enabled = serializers.BooleanField(required=False)
    min_duration = serializers.IntegerField(required=False, min_value=0, max_value=86400)
    answered_only = serializers.BooleanField(required=False)
    first_time_only = serializers.BooleanField(required=False)
    good_lead_only = serializers.BooleanField(required=False)
    tags = serializers.ListField(child=serializers.CharField(max_length=255), required=False, max_length=100)
    name = serializers.CharField(max_length=100, required=False)
    # A fixed value; null: the call's own value.
    value = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal(0), required=False, allow_null=True
    )
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False)


class CompanySerializer(V3ModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True)
    # Company times are documented in UTC (examples end in "Z"), whatever the request's zone.
    created_at = TimestampField()
    disabled_at = TimestampField()
    script_url = serializers.CharField(read_only=True)
    verified_caller_ids = serializers.SerializerMethodField()
    # Our extension: call conversions for the ad platforms (rendered with fields=...).
    call_conversion = serializers.SerializerMethodField()
    google_ads_feed_url = serializers.SerializerMethodField()
    ga4_measurement_id = serializers.SerializerMethodField()
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
            # Our extension: the announcement recorded calls start with.
            "recording_disclosure",
            "recording_disclosure_message",
            "record_after_disclosure",
            *CONVERSION_FIELDS,
            "consent_required",
            "allowed_origins",
        )
        read_only_fields = fields
        extra_fields = (
            "verified_caller_ids",
            "recording_disclosure",
            "recording_disclosure_message",
            "record_after_disclosure",
            *CONVERSION_FIELDS,
            "consent_required",
            "allowed_origins",
        )

    def _conversion_settings(self, company: Company) -> ConversionSettings | None:
        # Joined by the viewset when requested; a missing row: never configured.
        try:
            return company.conversion_settings
        except ConversionSettings.DoesNotExist:
            return None

    def get_call_conversion(self, company: Company) -> dict[str, Any]:
        settings = self._conversion_settings(company) or ConversionSettings()
        return {
            "enabled": settings.enabled,
            "min_duration": settings.min_duration,
            "answered_only": settings.answered_only,
            "first_time_only": settings.first_time_only,
            "good_lead_only": settings.good_lead_only,
            "tags": list(settings.tags or []),
            "name": settings.name,
            "value": float(settings.value) if settings.value is not None else None,
            "currency": settings.currency,
        }

    def get_google_ads_feed_url(self, company: Company) -> str | None:
        settings = self._conversion_settings(company)
        if settings is None:
            return None
        settings.company = company
        return absolute_url(feed_path(settings))

    def get_ga4_measurement_id(self, company: Company) -> str | None:
        settings = self._conversion_settings(company)
        return (settings.ga4_measurement_id or None) if settings else None

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
    # Our extension: call conversions and the ad platforms' credentials (the secrets write-only).
    call_conversion = CallConversionInputSerializer(required=False)
    rotate_google_ads_feed_token = serializers.BooleanField(required=False)
    ga4_measurement_id = serializers.RegexField(r"^(G-[A-Z0-9]{4,20})?$", required=False, allow_blank=True)
    ga4_api_secret = serializers.CharField(max_length=100, required=False, allow_blank=True)
    google_ads_customer_id = serializers.RegexField(r"^(\d{3}-?\d{3}-?\d{4})?$", required=False, allow_blank=True)
    google_ads_login_customer_id = serializers.RegexField(r"^(\d{3}-?\d{3}-?\d{4})?$", required=False, allow_blank=True)
    google_ads_conversion_action = serializers.RegexField(r"^\d{0,20}$", required=False, allow_blank=True)
    google_ads_developer_token = serializers.CharField(max_length=100, required=False, allow_blank=True)
    google_ads_refresh_token = serializers.CharField(max_length=512, required=False, allow_blank=True)
    consent_required = serializers.BooleanField(required=False, help_text=CONSENT_HELP)
    allowed_origins = serializers.ListField(
        child=serializers.CharField(allow_blank=True), required=False, allow_empty=True, help_text=ORIGINS_HELP
    )

    def __init__(self, *args: Any, company: Company | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.company = company

    def validate_google_ads_customer_id(self, value: str) -> str:
        return value.replace("-", "")

    def validate_google_ads_login_customer_id(self, value: str) -> str:
        return value.replace("-", "")

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
