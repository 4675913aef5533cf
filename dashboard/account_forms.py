"""The forms of the account's pages: people, profile, API keys, integrations, alerts,
account settings and the audit log's filters. They check what a person typed; the rules
themselves (who may do what, which URL may receive webhooks) are the services', so the
API and the dashboard refuse the same things."""

from __future__ import annotations

from functools import cache
from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from accounts.audit import CATEGORIES
from accounts.models import Account, Company, User
from accounts.services import account_settings_fields, data_retention_check
from integrations.models import Integration, Notification, WebhookEvent
from integrations.services import (
    SUMMARY_EMAIL_FREQUENCIES,
    SUMMARY_EMAIL_SECTIONS,
    integration_config_validate,
)
from integrations.webhooks.events import CONFIG_KEYS

ROLE_HELP: dict[str, str] = {
    User.Role.ADMIN: "Everything in the account: every company, users, integrations and settings.",
    User.Role.MANAGER: "Sets up numbers, forms and integrations in their companies; reads everything there.",
    User.Role.REPORTING: "Reads calls, texts and reports in their companies, and tags and scores calls.",
    User.Role.NOTIFICATION: "Receives email alerts about their companies; never signs in.",
}


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(available_timezones()) if "/" in name]


class StyledForm(forms.Form):
    """Bootstrap's classes on every widget (inputs, selects, checkboxes and radios)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_fields(self)


def style_fields(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect | forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")


class CompanyChoiceField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


def account_companies(account: Account) -> QuerySet[Company]:
    return Company.objects.filter(account=account, status=Company.Status.ACTIVE).order_by("name", "pk")


class AccessForm(StyledForm):
    """A role and the companies it reaches (admins reach all of them)."""

    role = forms.ChoiceField(choices=User.Role.choices, widget=forms.RadioSelect)
    companies = CompanyChoiceField(
        queryset=Company.objects.none(),
        required=False,
        help_text="Administrators reach every company; the other roles only those chosen here.",
    )

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["companies"].queryset = account_companies(account)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("role") and data["role"] != User.Role.ADMIN and not data.get("companies"):
            self.add_error("companies", "Choose at least one company for this role.")
        return data


class InviteForm(AccessForm):
    email = forms.EmailField(max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)

    field_order = ("email", "first_name", "last_name", "role", "companies")

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError("Someone already uses this email address.")
        return email


class ProfileForm(StyledForm):
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    time_zone = forms.ChoiceField(
        required=False,
        help_text="Dates and times on every page, when no company's own time zone applies.",
    )

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        default = ("", f"The account's time zone ({account.time_zone})")
        self.fields["time_zone"].choices = [default, *time_zone_choices()]  # type: ignore[attr-defined]


class PasswordForm(PasswordChangeForm):
    """Django's own checks (current password, the password validators); the service saves."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_fields(self)
        self.fields["old_password"].widget.attrs.pop("autofocus", None)


class ApiKeyForm(StyledForm):
    name = forms.CharField(
        max_length=100,
        help_text="What uses the key, so you can tell your keys apart (“Zapier”, “Reporting script”).",
    )


# The Webhooks integration's events as the page groups them, with what each one sends.
WEBHOOK_EVENT_GROUPS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Calls",
        (
            (WebhookEvent.Event.PRE_CALL, "The moment a call comes in, before it rings through."),
            (WebhookEvent.Event.CALL_ROUTING_COMPLETE, "When someone at the business answers."),
            (WebhookEvent.Event.POST_CALL, "When a call ends, with its recording and source."),
            (WebhookEvent.Event.CALL_MODIFIED, "When a finished call is tagged, scored or noted."),
        ),
    ),
    (
        "Outbound calls",
        (
            (WebhookEvent.Event.OUTBOUND_POST_CALL, "When a call placed from a tracking number ends."),
            (WebhookEvent.Event.OUTBOUND_CALL_MODIFIED, "When such a call is changed afterwards."),
        ),
    ),
    (
        "Texts and forms",
        (
            (WebhookEvent.Event.TEXT_MESSAGE_RECEIVED, "A text message arrives on a tracking number."),
            (WebhookEvent.Event.TEXT_MESSAGE_SENT, "A text message is sent from a tracking number."),
            (WebhookEvent.Event.FORM_SUBMISSION, "A form on the company's site is submitted."),
        ),
    ),
)


class WebhooksForm(StyledForm):
    """One box per event, one URL per line; each checked with the rules the API and delivery apply."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for _, events in WEBHOOK_EVENT_GROUPS:
            for event, help_text in events:
                self.fields[CONFIG_KEYS[event]] = forms.CharField(
                    label=WebhookEvent.Event(event).label,
                    required=False,
                    help_text=help_text,
                    widget=forms.Textarea(
                        attrs={"rows": 1, "class": "form-control font-monospace", "placeholder": "https://"}
                    ),
                )

    @staticmethod
    def initial_for(integration: Integration | None) -> dict[str, str]:
        config = integration.config if integration is not None else {}
        return {key: "\n".join(config.get(key) or []) for key in CONFIG_KEYS.values()}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for key in CONFIG_KEYS.values():
            urls = [line.strip() for line in str(data.get(key) or "").splitlines() if line.strip()]
            try:
                data[key] = integration_config_validate(Integration.Type.WEBHOOKS, {key: urls})[key]
            except ValidationError as exc:
                self.add_error(key, [message.removeprefix(f"{key}: ") for message in exc.messages])
        return data

    def events_by_group(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(group, [self[CONFIG_KEYS[event]] for event, _ in events]) for group, events in WEBHOOK_EVENT_GROUPS]


class TestEventForm(StyledForm):
    event = forms.ChoiceField(choices=WebhookEvent.Event.choices, label="Event")


def company_scope_choices(companies: tuple[Company, ...], all_label: str) -> list[tuple[str, str]]:
    return [("", all_label), *((company.public_id, company.name) for company in companies)]


ALERT_TYPE_LABELS: dict[str, str] = {
    Notification.AlertType.ALL: "Every call",
    Notification.AlertType.FIRST_CALL: "First-time callers",
    Notification.AlertType.MISSED_AND_VM: "Missed calls and voicemails",
    Notification.AlertType.VM_ONLY: "Voicemails only",
    Notification.AlertType.ANSWERED: "Answered calls",
}


class AlertForm(StyledForm):
    """An email alert rule of the signed-in user (the API's notification object)."""

    company = forms.ChoiceField(label="Company", required=False)
    tracker = forms.ChoiceField(
        label="Tracker", required=False, help_text="Only calls and texts that came through this tracker."
    )
    call_enabled = forms.BooleanField(label="Calls", required=False, initial=True)
    alert_type = forms.ChoiceField(
        label="Which calls",
        choices=list(ALERT_TYPE_LABELS.items()),
        widget=forms.RadioSelect,
        initial=Notification.AlertType.ALL,
        help_text="Form submissions come with “Every call” and “First-time callers” alerts.",
    )
    sms_enabled = forms.BooleanField(label="Text messages", required=False)

    def __init__(
        self,
        *args: Any,
        companies: tuple[Company, ...],
        trackers: list[tuple[str, str]],
        all_label: str = "All my companies",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.companies = {company.public_id: company for company in companies}
        self.fields["company"].choices = company_scope_choices(companies, all_label)  # type: ignore[attr-defined]
        self.fields["tracker"].choices = [("", "Any tracker"), *trackers]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("call_enabled") and not data.get("sms_enabled"):
            raise ValidationError("Choose calls, text messages or both.")
        data["company_obj"] = self.companies.get(data.get("company") or "")
        return data


SECTION_LABELS = {
    "summary_statistics": "Summary figures",
    "top_sources": "Top sources",
    "top_keywords": "Top keywords",
    "call_log": "Call log",
}


class SummaryEmailForm(StyledForm):
    company = forms.ChoiceField(label="Company", required=False)
    frequency = forms.MultipleChoiceField(
        label="How often",
        choices=[(value, value.capitalize()) for value in SUMMARY_EMAIL_FREQUENCIES],
        widget=forms.CheckboxSelectMultiple,
        help_text="Sent early in the morning: daily, on Mondays for the past week, on the 1st for the past month.",
    )
    sections = forms.MultipleChoiceField(
        label="What it shows",
        choices=[(section, SECTION_LABELS[section]) for section in SUMMARY_EMAIL_SECTIONS],
        widget=forms.CheckboxSelectMultiple,
        initial=list(SUMMARY_EMAIL_SECTIONS),
    )

    def __init__(
        self, *args: Any, companies: tuple[Company, ...], all_label: str = "All my companies", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.companies = {company.public_id: company for company in companies}
        self.fields["company"].choices = company_scope_choices(companies, all_label)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["company_obj"] = self.companies.get(data.get("company") or "")
        return data


class AccountSettingsForm(forms.ModelForm):
    """The account's settings (``accounts.services.account_settings_fields``): a setting added
    there appears here with its model field's label, help and checks."""

    class Meta:
        model = Account
        fields = account_settings_fields()
        labels = {
            "name": "Account name",
            "outbound_recording_enabled": "Record outbound calls",
            "data_retention_days": "Keep data for (days)",
        }
        help_texts = {
            "data_retention_days": "Calls, recordings, texts, forms, visits and the audit log older than this are "
            "deleted every night. 0 keeps everything.",
            "time_zone": "Dates, reports and summary emails of the whole account follow it.",
            "outbound_recording_enabled": "Calls placed from a tracking number are recorded (tell the people you call).",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"] = forms.ChoiceField(
            choices=time_zone_choices(), help_text=self.fields["time_zone"].help_text, label="Time zone"
        )
        style_fields(self)

    def clean_data_retention_days(self) -> int:
        days = self.cleaned_data["data_retention_days"]
        try:
            data_retention_check(days)
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from exc
        return days


class AuditFilterForm(StyledForm):
    actor = forms.ChoiceField(label="Who", required=False)
    category = forms.ChoiceField(
        label="What",
        required=False,
        choices=[("", "Everything"), *((key, category.label) for key, category in CATEGORIES.items())],
    )
    q = forms.CharField(label="Object or person", required=False, max_length=100)
    since = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = User.objects.filter(account=account).order_by("email")
        self.fields["actor"].choices = [  # type: ignore[attr-defined]
            ("", "Anyone"),
            ("system", "System"),
            *((user.public_id, user.name or user.email) for user in people),
        ]
        self.fields["q"].widget.attrs.update({"type": "search", "placeholder": "Name, email, number…"})
        for field in self.fields.values():
            small = "form-select-sm" if isinstance(field.widget, forms.Select) else "form-control-sm"
            field.widget.attrs["class"] += f" {small}"
