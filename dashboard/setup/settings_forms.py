"""The settings page's forms: a company's settings (written by ``company_update``, checked
by the rules the API applies) and each tracker's own (written by ``tracker_update``).

A new company setting is one form field plus its name in a section of ``SECTIONS``, and in
``accounts.services.COMPANY_SETTINGS``: the page lays sections out by themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast
from zoneinfo import available_timezones

from django import forms
from django.core.exceptions import ValidationError

from accounts.models import DEFAULT_RECORDING_DISCLOSURE, Company
from accounts.phone import formatted, to_e164_or_none
from accounts.services import COMPANY_SETTINGS, allowed_origins_validate, cookie_duration_check
from telephony.trackers import SESSION_TIMEOUT_MAX, SESSION_TIMEOUT_MIN
from tracking.models import Tracker


@dataclass(frozen=True)
class Section:
    """A group of settings on the page; a tuple in ``rows`` puts fields side by side."""

    key: str
    title: str
    lead: str
    rows: tuple[str | tuple[str, ...], ...]


def _zones(current: str) -> list[tuple[str, str]]:
    """Every IANA zone (the API accepts any), the company's own among them."""
    zones = set(available_timezones()) | {current}
    return [(zone, zone.replace("_", " ")) for zone in sorted(zones)]


class _Styled:
    def style(self, fields: dict[str, forms.Field]) -> None:
        for field in fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")


class CompanySettingsForm(_Styled, forms.Form):
    SECTIONS = (
        Section(
            "company", "Company", "How the company is named, and the days its reports count.", ("name", "time_zone")
        ),
        Section(
            "site",
            "On your website",
            "What the snippet does on the company's pages.",
            (
                "form_capture",
                "consent_required",
                "allowed_origins",
                ("swap_cookie_duration", "swap_cookie_duration_unit"),
            ),
        ),
        Section(
            "attribution",
            "Returning visitors",
            "A returning visitor keeps the source of their first visit, unless one of these applies.",
            ("swap_ppc_override", "swap_landing_override"),
        ),
        Section(
            "recording",
            "Recorded calls",
            "What callers hear before a call flow that records them.",
            ("recording_disclosure", "recording_disclosure_message", "record_after_disclosure"),
        ),
    )

    name = forms.CharField(max_length=255, label="Name")
    time_zone = forms.ChoiceField(
        choices=(), label="Time zone", help_text="Days in reports and open hours in call flows follow it."
    )
    form_capture = forms.BooleanField(
        required=False,
        label="Capture form submissions",
        help_text="Forms sent on your site are recorded with the visit that led to them.",
    )
    consent_required = forms.BooleanField(
        required=False,
        label="Wait for the visitor's consent",
        help_text="The snippet sets no cookie and swaps no number until your consent banner calls "
        "CallTrk.consent(true).",
    )
    allowed_origins = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Sites allowed to use the numbers",
        help_text="One per line, such as https://www.example.com. Empty: any site (the snippet is public).",
    )
    swap_cookie_duration = forms.IntegerField(
        min_value=1, label="Remember a visitor for", help_text="At most 6 months (183 days, 26 weeks)."
    )
    swap_cookie_duration_unit = forms.ChoiceField(choices=Company.CookieDurationUnit.choices, label="Unit")
    swap_ppc_override = forms.BooleanField(
        required=False,
        label="A click on an ad starts a new source",
        help_text="A returning visitor who clicks a paid search ad is credited to that ad.",
    )
    swap_landing_override = forms.CharField(
        required=False,
        max_length=100,
        label="Landing page parameter that starts a new source",
        help_text="Such as utm_source: a visit landing with it is credited to its own source. Empty: none.",
    )

    recording_disclosure = forms.BooleanField(
        required=False,
        label="Announce that calls are recorded",
        help_text="Played first in every call flow that records, inbound and outbound.",
    )
    recording_disclosure_message = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Announcement",
        help_text="Empty: the default announcement.",
    )
    record_after_disclosure = forms.BooleanField(
        required=False,
        label="Record from the announcement on",
        help_text="Menus and ringing are recorded too, and nothing before the caller was told.",
    )

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {name: self.initial_value(company, name) for name in COMPANY_SETTINGS})
        super().__init__(*args, **kwargs)
        self.company = company
        cast(forms.ChoiceField, self.fields["time_zone"]).choices = _zones(company.time_zone)
        self.style(self.fields)

    @staticmethod
    def initial_value(company: Company, name: str) -> Any:
        value = getattr(company, name, None)
        if name == "allowed_origins":
            return "\n".join(value or [])
        return value

    def sections(self) -> list[tuple[Section, list[list[forms.BoundField]]]]:
        """The sections with their fields, row by row (fields a section names but the form
        lacks are left out)."""
        laid_out = []
        for section in self.SECTIONS:
            rows = []
            for row in section.rows:
                names = (row,) if isinstance(row, str) else row
                fields = [self[name] for name in names if name in self.fields]
                if fields:
                    rows.append(fields)
            laid_out.append((section, rows))
        return laid_out

    def clean_allowed_origins(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["allowed_origins"].splitlines()]
        try:
            return allowed_origins_validate([line for line in lines if line])
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from exc

    def clean_recording_disclosure_message(self) -> str:
        return self.cleaned_data["recording_disclosure_message"].strip() or DEFAULT_RECORDING_DISCLOSURE

    def clean_swap_landing_override(self) -> str | None:
        return self.cleaned_data["swap_landing_override"].strip() or None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        duration, unit = data.get("swap_cookie_duration"), data.get("swap_cookie_duration_unit")
        if duration is not None and unit:
            try:
                cookie_duration_check(duration, unit)
            except ValidationError:
                self.add_error(
                    "swap_cookie_duration", "That is longer than six months: at most 183 days, 26 weeks or 6 months."
                )
        return data

    def changes(self) -> dict[str, Any]:
        """The settings that differ from the company's (for ``company_update``)."""
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name in COMPANY_SETTINGS and value != getattr(self.company, name)
        }


# Where the tracker service's ``field: message`` errors are shown.
TRACKER_FIELDS = {
    "session_timeout": "session_timeout",
    "fallback_number": "fallback_number",
    "whisper_message": "whisper_message",
    "call_flow": "recording",
}


class TrackerSettingsForm(_Styled, forms.Form):
    session_timeout = forms.IntegerField(
        min_value=SESSION_TIMEOUT_MIN // 60,
        max_value=SESSION_TIMEOUT_MAX // 60,
        label="Visitors keep their number for (minutes)",
        help_text="After their last page view. 30 is usual; longer suits long decisions, shorter a small pool.",
    )
    fallback_number = forms.CharField(
        required=False,
        max_length=30,
        label="Fallback number",
        help_text="Shown when every pool number is taken. Empty: the page keeps your own number.",
        widget=forms.TextInput(attrs={"type": "tel"}),
    )
    recording = forms.BooleanField(required=False, label="Record calls")
    whisper_message = forms.CharField(
        required=False,
        max_length=255,
        label="Whisper",
        help_text="Played to whoever answers, before the caller is put through; [source] says where the caller "
        "came from.",
    )

    def __init__(self, *args: Any, tracker: Tracker, **kwargs: Any) -> None:
        definition = tracker.call_flow.definition or {}
        kwargs.setdefault(
            "initial",
            {
                "session_timeout": round(tracker.session_timeout / 60),
                "fallback_number": formatted(tracker.fallback_number) or "",
                "recording": bool(definition.get("recording_enabled")),
                "whisper_message": tracker.whisper_message,
            },
        )
        kwargs.setdefault("prefix", tracker.public_id)
        super().__init__(*args, **kwargs)
        self.tracker = tracker
        if tracker.type != Tracker.Type.SESSION:
            del self.fields["session_timeout"], self.fields["fallback_number"]
        if definition.get("type") != "basic":
            # An advanced flow records as its builder says.
            del self.fields["recording"]
        self.style(self.fields)

    def changes(self) -> dict[str, Any]:
        """The tracker update's changes (``tracker_update``), only what differs."""
        data, tracker = self.cleaned_data, self.tracker
        changes: dict[str, Any] = {}
        if "session_timeout" in data and data["session_timeout"] * 60 != tracker.session_timeout:
            changes["session_timeout"] = data["session_timeout"] * 60
        if "fallback_number" in data:
            typed = data["fallback_number"].strip()
            if (to_e164_or_none(typed) if typed else "") != tracker.fallback_number:
                changes["fallback_number"] = typed or None
        if data["whisper_message"].strip() != tracker.whisper_message:
            changes["whisper_message"] = data["whisper_message"].strip()
        definition = tracker.call_flow.definition or {}
        if "recording" in data and data["recording"] != bool(definition.get("recording_enabled")):
            changes["call_flow"] = {**definition, "recording_enabled": data["recording"]}
        return changes

    def service_error(self, exc: ValidationError) -> None:
        """Show the tracker service's ``field: message`` on the field it names."""
        for message in exc.messages:
            field, _, text = message.partition(": ")
            target = TRACKER_FIELDS.get(field.split(".")[0])
            text = (text or message).rstrip(".") + "."
            self.add_error(target if target in self.fields else None, text[0].upper() + text[1:])
