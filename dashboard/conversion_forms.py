"""The form of a company's call conversion settings: which calls count, what each is worth, and
the credentials of Google Ads and GA4. The checks are the company API's
(``api/v3/serializers/companies.py``); secrets are write-only: a blank box keeps the one set."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import RegexValidator

from dashboard.account_forms import StyledForm
from integrations.conversions import SECRET_FIELDS
from integrations.models import ConversionSettings

# The boxes that remove a secret, named apart from the secrets' own boxes.
FORGET_LABELS = {
    "ga4_api_secret": "Forget GA4's secret",
    "google_ads_developer_token": "Forget the Google Ads developer token",
    "google_ads_refresh_token": "Forget the Google Ads OAuth token",
}
CUSTOMER_ID = RegexValidator(r"^\d{3}-?\d{3}-?\d{4}$", "A customer id is ten digits, like 123-456-7890.")


class ConversionSettingsForm(StyledForm):
    enabled = forms.BooleanField(label="Count calls as conversions", required=False)
    answered_only = forms.BooleanField(label="Answered calls only", required=False)
    min_duration = forms.IntegerField(
        label="Minimum duration (seconds)", min_value=0, max_value=86400, help_text="0 counts calls of any length."
    )
    first_time_only = forms.BooleanField(label="First-time callers only", required=False)
    good_lead_only = forms.BooleanField(label="Good leads only", required=False, help_text="Calls marked a good lead.")
    tags = forms.MultipleChoiceField(
        label="Tagged with one of",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: tags do not matter.",
    )
    name = forms.CharField(
        label="Conversion name", max_length=100, help_text="Exactly as the conversion action is named in Google Ads."
    )
    value_mode = forms.ChoiceField(
        label="Value",
        choices=(("call", "The call's own value"), ("fixed", "A fixed value")),
        widget=forms.RadioSelect,
    )
    value = forms.DecimalField(
        label="Amount",
        help_text="The value of each conversion, when it is fixed.",
        required=False,
        min_value=Decimal(0),
        max_digits=12,
        decimal_places=2,
    )
    currency = forms.RegexField(
        label="Currency",
        regex=r"^[A-Z]{3}$",
        max_length=3,
        error_messages={"invalid": "A three-letter ISO code in capitals, like USD."},
    )
    ga4_measurement_id = forms.RegexField(
        label="Measurement id",
        regex=r"^(G-[A-Z0-9]{4,20})?$",
        required=False,
        error_messages={"invalid": "A GA4 measurement id looks like G-ABC123XYZ."},
    )
    ga4_api_secret = forms.CharField(label="Measurement Protocol API secret", max_length=100, required=False)
    google_ads_customer_id = forms.CharField(label="Customer id", required=False, validators=[CUSTOMER_ID])
    google_ads_login_customer_id = forms.CharField(
        label="Manager (login) customer id",
        required=False,
        validators=[CUSTOMER_ID],
        help_text="Only through a manager account.",
    )
    google_ads_conversion_action = forms.RegexField(
        label="Conversion action id",
        regex=r"^\d{0,20}$",
        required=False,
        error_messages={"invalid": "The conversion action's numeric id."},
    )
    google_ads_developer_token = forms.CharField(label="Developer token", max_length=100, required=False)
    google_ads_refresh_token = forms.CharField(label="OAuth refresh token", max_length=512, required=False)
    clear_secrets = forms.MultipleChoiceField(
        label="Remove a secret", required=False, widget=forms.CheckboxSelectMultiple, choices=()
    )

    RULE = ("enabled", "answered_only", "min_duration", "first_time_only", "good_lead_only", "tags")
    GA4 = ("ga4_measurement_id", "ga4_api_secret")
    GOOGLE_ADS = (
        "google_ads_customer_id",
        "google_ads_login_customer_id",
        "google_ads_conversion_action",
        "google_ads_developer_token",
        "google_ads_refresh_token",
    )

    def __init__(
        self, *args: Any, tag_names: list[str], settings: ConversionSettings | None, read_only: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.settings = settings
        current = list(settings.tags or []) if settings else []
        names = sorted(set(tag_names) | set(current), key=str.lower)
        self.fields["tags"].choices = [(name, name) for name in names]  # type: ignore[attr-defined]
        for name in SECRET_FIELDS:
            is_set = bool(settings and getattr(settings, name))
            widget = forms.PasswordInput(
                attrs={
                    "class": "form-control",
                    "autocomplete": "new-password",
                    "placeholder": "Set: leave blank to keep it" if is_set else "Not set",
                }
            )
            self.fields[name].widget = widget
        self.fields["clear_secrets"].choices = [  # type: ignore[attr-defined]
            (name, FORGET_LABELS[name]) for name in SECRET_FIELDS if settings and getattr(settings, name)
        ]
        if read_only:
            for field in self.fields.values():
                field.disabled = True

    @staticmethod
    def initial_for(settings: ConversionSettings | None) -> dict[str, Any]:
        settings = settings or ConversionSettings()
        values: dict[str, Any] = {
            name: getattr(settings, name)
            for name in (
                "enabled",
                "answered_only",
                "min_duration",
                "first_time_only",
                "good_lead_only",
                "name",
                "currency",
                "ga4_measurement_id",
                "google_ads_customer_id",
                "google_ads_login_customer_id",
                "google_ads_conversion_action",
            )
        }
        values["tags"] = list(settings.tags or [])
        values["value_mode"] = "call" if settings.value is None else "fixed"
        values["value"] = settings.value
        return values

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("value_mode") == "fixed" and data.get("value") is None:
            self.add_error("value", "Give the fixed value, or choose the call's own value.")
        return data

    def changes(self) -> tuple[dict[str, Any], dict[str, str]]:
        """(``call_conversion``, credentials) for ``conversion_settings_update``: a blank secret
        keeps the one set unless it is ticked for removal."""
        data = self.cleaned_data
        rule = {name: data[name] for name in (*self.RULE, "name", "currency")}
        rule["value"] = data["value"] if data["value_mode"] == "fixed" else None
        credentials: dict[str, str] = {}
        for name in (*self.GA4, *self.GOOGLE_ADS):
            value = (data.get(name) or "").strip()
            if name in ("google_ads_customer_id", "google_ads_login_customer_id"):
                value = value.replace("-", "")
            if name in SECRET_FIELDS:
                if name in data.get("clear_secrets", []):
                    value = ""
                elif not value:
                    continue
            credentials[name] = value
        return rule, credentials
