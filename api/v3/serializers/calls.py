"""The call object (reference: "Listing All Calls", "Retrieving a Single Call").

``CallSerializer(call, context={"all_fields": True})`` renders every field, which is
what webhook payloads are built from. Per-row extras that need other rows
(``total_calls``, ``good_lead_call_*``, ``milestones``, ``integration_data``) use
values the list view prefetched when they are there, and query for one row otherwise.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from rest_framework import serializers

from accounts.phone import dashed
from api.v3 import formatting, milestones
from api.v3.serializers.base import V3Serializer
from integrations.models import Integration
from integrations.v3_shapes import CALL_FIELDS, iso8601
from telephony import recording_links
from telephony.links import absolute_url
from telephony.models import Call

DEFAULT_FIELDS = (
    "answered",
    "business_phone_number",
    "customer_city",
    "customer_country",
    "customer_name",
    "customer_phone_number",
    "customer_state",
    "direction",
    "duration",
    "id",
    "recording",
    "recording_duration",
    "recording_player",
    "start_time",
    "tracking_phone_number",
    "voicemail",
    # Listed as selectable, yet every example of the list and show endpoints prints it
    # (reference §5 #8): rendered by default, as the examples show.
    "agent_email",
)
# Create and update answer with the defaults minus the recording player (their examples).
WRITE_RESPONSE_FIELDS = tuple(f for f in DEFAULT_FIELDS if f not in ("recording_player", "agent_email"))
# The others are rendered on request (``fields=``); CALL_FIELDS is the one list of them all
# (with our extension ``click_events``: the tel: link and call button clicks the call followed).
EXTRA_FIELDS = tuple(name for name in CALL_FIELDS if name not in DEFAULT_FIELDS)
# Only the single-call endpoint offers these (reference: Retrieving a Single Call).
SINGLE_ONLY_FIELDS = ("integration_data", "conversational_transcript")

CALL_TYPE_LABELS = {
    # "abandonded" is how the reference spells the value (§5 #9); clients match on it.
    "abandonded": "Abandoned Call",
    "answered": "Answered Call",
    "in_progress": "In Progress",
    "missed": "Missed Call",
    "outbound": "Outbound Call",
    "voicemail": "Voicemail",
    "voicemail_transcription": "Voicemail Transcription",
}


def money(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _blank(value: Any) -> Any:
    return value if value not in ("", None) else None


class CallSerializer(V3Serializer):
    answered = serializers.SerializerMethodField()
    business_phone_number = serializers.SerializerMethodField()
    customer_city = serializers.SerializerMethodField()
    customer_country = serializers.SerializerMethodField()
    customer_name = serializers.SerializerMethodField()
    customer_phone_number = serializers.CharField(read_only=True)
    customer_state = serializers.SerializerMethodField()
    direction = serializers.CharField(read_only=True)
    duration = serializers.IntegerField(read_only=True, allow_null=True)
    id = serializers.CharField(source="public_id", read_only=True)
    recording = serializers.SerializerMethodField()
    recording_duration = serializers.SerializerMethodField()
    recording_player = serializers.SerializerMethodField()
    start_time = serializers.SerializerMethodField()
    tracking_phone_number = serializers.CharField(read_only=True)
    voicemail = serializers.BooleanField(read_only=True)
    agent_email = serializers.SerializerMethodField()

    call_type = serializers.SerializerMethodField()
    company_id = serializers.CharField(source="company.public_id", read_only=True)
    company_name = serializers.CharField(source="company.name", read_only=True)
    company_time_zone = serializers.CharField(source="company.time_zone", read_only=True)
    created_at = serializers.SerializerMethodField()
    device_type = serializers.SerializerMethodField()
    first_call = serializers.BooleanField(read_only=True)
    formatted_call_type = serializers.SerializerMethodField()
    formatted_customer_location = serializers.SerializerMethodField()
    formatted_business_phone_number = serializers.SerializerMethodField()
    formatted_customer_name = serializers.SerializerMethodField()
    prior_calls = serializers.IntegerField(read_only=True)
    formatted_customer_name_or_phone_number = serializers.SerializerMethodField()
    formatted_customer_phone_number = serializers.SerializerMethodField()
    formatted_duration = serializers.SerializerMethodField()
    formatted_tracking_phone_number = serializers.SerializerMethodField()
    formatted_tracking_source = serializers.SerializerMethodField()
    formatted_value = serializers.SerializerMethodField()
    good_lead_call_id = serializers.SerializerMethodField()
    good_lead_call_time = serializers.SerializerMethodField()
    lead_status = serializers.CharField(read_only=True, allow_null=True)
    note = serializers.SerializerMethodField()
    source = serializers.SerializerMethodField()
    source_name = serializers.SerializerMethodField()
    tags = serializers.SerializerMethodField()
    total_calls = serializers.SerializerMethodField()
    value = serializers.SerializerMethodField()
    waveforms = serializers.SerializerMethodField()
    tracker_id = serializers.SerializerMethodField()
    speaker_percent = serializers.SerializerMethodField()
    keywords = serializers.SerializerMethodField()
    medium = serializers.SerializerMethodField()
    campaign = serializers.SerializerMethodField()
    referring_url = serializers.SerializerMethodField()
    landing_page_url = serializers.SerializerMethodField()
    last_requested_url = serializers.SerializerMethodField()
    referrer_domain = serializers.SerializerMethodField()
    utm_source = serializers.SerializerMethodField()
    utm_medium = serializers.SerializerMethodField()
    utm_term = serializers.SerializerMethodField()
    utm_content = serializers.SerializerMethodField()
    utm_campaign = serializers.SerializerMethodField()
    utma = serializers.SerializerMethodField()
    utmb = serializers.SerializerMethodField()
    utmc = serializers.SerializerMethodField()
    utmv = serializers.SerializerMethodField()
    utmz = serializers.SerializerMethodField()
    ga = serializers.SerializerMethodField()
    gclid = serializers.SerializerMethodField()
    fbclid = serializers.SerializerMethodField()
    msclkid = serializers.SerializerMethodField()
    milestones = serializers.SerializerMethodField()
    timeline_url = serializers.SerializerMethodField()
    person_id = serializers.SerializerMethodField()
    transcription = serializers.SerializerMethodField()
    keywords_spotted = serializers.SerializerMethodField()
    call_highlights = serializers.SerializerMethodField()
    call_summary = serializers.SerializerMethodField()
    sentiment = serializers.SerializerMethodField()
    keypad_entries = serializers.SerializerMethodField()
    zip_code = serializers.SerializerMethodField()
    integration_data = serializers.SerializerMethodField()
    conversational_transcript = serializers.SerializerMethodField()
    click_events = serializers.SerializerMethodField()

    class Meta:
        extra_fields = EXTRA_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.context.get("many") and not self.context.get("all_fields"):
            for name in SINGLE_ONLY_FIELDS:
                self.fields.pop(name, None)
        only = self.context.get("only_fields")
        if only:
            for name in list(self.fields):
                if name not in only:
                    self.fields.pop(name)

    # --- helpers -------------------------------------------------------------------------

    @property
    def tz(self) -> ZoneInfo | None:
        zone = self.context.get("time_zone")
        return ZoneInfo(zone) if isinstance(zone, str) else zone

    def _time(self, value: Any) -> str | None:
        # Call times are "in the current timezone" (the request's, else the user's).
        return iso8601(value, self.tz or ZoneInfo("UTC"))

    # --- default fields ------------------------------------------------------------------

    def get_answered(self, call: Call) -> bool | None:
        return call.answered

    def get_business_phone_number(self, call: Call) -> str | None:
        return _blank(call.business_phone_number)

    def get_customer_city(self, call: Call) -> str | None:
        return _blank(call.customer_city)

    def get_customer_country(self, call: Call) -> str | None:
        return _blank(call.customer_country)

    def get_customer_name(self, call: Call) -> str | None:
        return _blank(call.customer_name)

    def get_customer_state(self, call: Call) -> str | None:
        return _blank(call.customer_state)

    def get_recording(self, call: Call) -> str | None:
        if not call.has_recording:
            return None
        account = self.context.get("account") or call.account
        return absolute_url(f"/v3/a/{account.numeric_id}/calls/{call.public_id}/recording.json")

    def get_recording_duration(self, call: Call) -> str | None:
        return str(call.recording_duration) if call.recording_duration is not None else None

    def get_recording_player(self, call: Call) -> str | None:
        if not call.has_recording:
            return None
        account = self.context.get("account") or call.account
        return recording_links.recording_player_url(call.public_id, account)

    def get_start_time(self, call: Call) -> str | None:
        return self._time(call.start_time)

    def get_agent_email(self, call: Call) -> str | None:
        return call.agent.email if call.agent_id and call.agent else None

    # --- selectable fields ---------------------------------------------------------------

    def get_call_type(self, call: Call) -> str:
        return call.call_type

    def get_created_at(self, call: Call) -> str | None:
        return self._time(call.created_at)

    def get_device_type(self, call: Call) -> str | None:
        return _blank(call.device_type)

    def get_formatted_call_type(self, call: Call) -> str:
        return CALL_TYPE_LABELS[call.call_type]

    def get_formatted_customer_location(self, call: Call) -> str | None:
        parts = [p for p in (call.customer_city, call.customer_state) if p]
        return ", ".join(parts) or _blank(call.customer_country)

    def get_formatted_business_phone_number(self, call: Call) -> str | None:
        return dashed(call.business_phone_number)

    def get_formatted_customer_name(self, call: Call) -> str | None:
        return formatting.name_formatted(call.customer_name)

    def get_formatted_customer_name_or_phone_number(self, call: Call) -> str | None:
        return formatting.name_formatted(call.customer_name) or dashed(call.customer_phone_number)

    def get_formatted_customer_phone_number(self, call: Call) -> str | None:
        return dashed(call.customer_phone_number)

    def get_formatted_duration(self, call: Call) -> str | None:
        if call.call_type == "abandonded":
            return "(abandoned)"
        return formatting.duration_formatted(call.duration) if call.duration is not None else None

    def get_formatted_tracking_phone_number(self, call: Call) -> str | None:
        return dashed(call.tracking_phone_number)

    def get_formatted_tracking_source(self, call: Call) -> str:
        return formatting.source_formatted(call.source) or "Unknown Source"

    def get_formatted_value(self, call: Call) -> str:
        return formatting.value_formatted(call.value)

    def _good_lead_call(self, call: Call) -> tuple[int, Any] | None:
        if hasattr(call, "_good_lead"):
            return call._good_lead
        found = None
        if call.lead_status == Call.LeadStatus.PREVIOUSLY_MARKED_GOOD_LEAD:
            earlier = (
                Call.objects.filter(company_id=call.company_id, lead_status=Call.LeadStatus.GOOD_LEAD)
                .filter(**({"person_id": call.person_id} if call.person_id else {}))
                .filter(customer_phone_number=call.customer_phone_number)
                .order_by("start_time")
                .values_list("numeric_id", "start_time")
                .first()
            )
            found = earlier
        call._good_lead = found
        return found

    def get_good_lead_call_id(self, call: Call) -> int | None:
        found = self._good_lead_call(call)
        return found[0] if found else None

    def get_good_lead_call_time(self, call: Call) -> str | None:
        found = self._good_lead_call(call)
        return self._time(found[1]) if found else None

    def get_note(self, call: Call) -> str | None:
        return _blank(call.note)

    def get_source(self, call: Call) -> str | None:
        return formatting.source_display(call.source)

    def get_source_name(self, call: Call) -> str | None:
        if call.source_name:
            return call.source_name
        return call.tracker.name if call.tracker_id and call.tracker else None

    def get_tags(self, call: Call) -> list[str]:
        # Tag names, the shape call updates send back (`"tags": ["New Client"]`).
        return sorted(tag.name for tag in call.tags.all())

    def get_total_calls(self, call: Call) -> int:
        total = getattr(call, "total_calls", None)  # set by ``CallQuerySet.with_total_calls``
        if total is None:
            total = (
                Call.objects.from_caller(company_id=call.company_id, customer_phone_number=call.customer_phone_number)
                .not_spam()
                .count()
            )
        return total

    def get_value(self, call: Call) -> int | float | None:
        return money(call.value)

    def get_waveforms(self, call: Call) -> list[str]:
        # No waveform images are rendered for recordings; an empty list, never made-up URLs.
        return []

    def get_tracker_id(self, call: Call) -> str | None:
        return call.tracker.public_id if call.tracker_id and call.tracker else None

    def get_speaker_percent(self, call: Call) -> dict[str, int] | None:
        return None

    def get_keywords(self, call: Call) -> str | None:
        return _blank(call.keywords)

    def get_medium(self, call: Call) -> str | None:
        return _blank(call.medium)

    def get_campaign(self, call: Call) -> str | None:
        return _blank(call.campaign or call.utm_campaign)

    def get_referring_url(self, call: Call) -> str | None:
        return _blank(call.referring_url)

    def get_landing_page_url(self, call: Call) -> str | None:
        return _blank(call.landing_page_url)

    def get_last_requested_url(self, call: Call) -> str | None:
        return _blank(call.last_requested_url)

    def get_referrer_domain(self, call: Call) -> str | None:
        return formatting.referrer_domain(call.referring_url)

    def get_utm_source(self, call: Call) -> str | None:
        return _blank(call.utm_source)

    def get_utm_medium(self, call: Call) -> str | None:
        return _blank(call.utm_medium)

    def get_utm_term(self, call: Call) -> str | None:
        return _blank(call.utm_term)

    def get_utm_content(self, call: Call) -> str | None:
        return _blank(call.utm_content)

    def get_utm_campaign(self, call: Call) -> str | None:
        return _blank(call.utm_campaign)

    def get_click_events(self, call: Call) -> list[dict[str, str | None]]:
        # Prefetched by the list view when requested.
        return [
            {"phone_number": click.phone_number, "page_url": click.page_url, "clicked_at": self._time(click.clicked_at)}
            for click in sorted(call.click_events.all(), key=lambda click: click.clicked_at)
        ]

    def get_utma(self, call: Call) -> str | None:
        return formatting.cookie_value(call.cookies, "utma")

    def get_utmb(self, call: Call) -> str | None:
        return formatting.cookie_value(call.cookies, "utmb")

    def get_utmc(self, call: Call) -> str | None:
        return formatting.cookie_value(call.cookies, "utmc")

    def get_utmv(self, call: Call) -> str | None:
        return formatting.cookie_value(call.cookies, "utmv")

    def get_utmz(self, call: Call) -> str | None:
        return formatting.cookie_value(call.cookies, "utmz")

    def get_ga(self, call: Call) -> str | None:
        return formatting.cookie_value(call.cookies, "ga")

    def get_gclid(self, call: Call) -> str | None:
        return _blank(call.gclid)

    def get_fbclid(self, call: Call) -> str | None:
        return _blank(call.fbclid)

    def get_msclkid(self, call: Call) -> str | None:
        return _blank(call.msclkid)

    def get_milestones(self, call: Call) -> dict[str, Any]:
        builder = self.context.get("milestones")
        if builder is None:
            builder = milestones.MilestoneBuilder([call], self.tz or ZoneInfo("UTC"))
        return builder.build(call)

    def get_timeline_url(self, call: Call) -> str | None:
        account = self.context.get("account") or call.account
        return formatting.timeline_url(account, call.person if call.person_id else None)

    def get_person_id(self, call: Call) -> str | None:
        return call.person.public_id if call.person_id and call.person else None

    def get_transcription(self, call: Call) -> str | None:
        return _blank(call.transcription)

    def get_keywords_spotted(self, call: Call) -> list[dict[str, Any]]:
        # Keyword spotting is a deprecated CallRail feature with no data here.
        return []

    def get_call_highlights(self, call: Call) -> list[str]:
        return []

    def get_call_summary(self, call: Call) -> str | None:
        return None

    def get_sentiment(self, call: Call) -> str | None:
        return None

    def get_keypad_entries(self, call: Call) -> list[dict[str, str]]:
        return list(call.keypad_entries or [])

    def get_zip_code(self, call: Call) -> list[str]:
        return list((call.flow_state or {}).get("zip_codes", []))

    def get_integration_data(self, call: Call) -> list[dict[str, Any]]:
        integrations = self.context.get("integrations")
        if integrations is None:
            integrations = list(Integration.objects.filter(company_id=call.company_id, state="active"))
        data = []
        for integration in integrations:
            if integration.company_id != call.company_id:
                continue
            payload = None
            if integration.type == "Custom":
                names = (integration.config or {}).get("grab_cookies", [])
                payload = {name: call.cookies[name] for name in names if name in (call.cookies or {})} or None
            data.append({"integration": integration.type, "data": payload})
        return data

    def get_conversational_transcript(self, call: Call) -> list[dict[str, Any]] | None:
        return None


class CallUpdateInputSerializer(serializers.Serializer):
    """The body of ``PUT calls/{id}.json`` (reference: "Updating a Call"), for the
    OpenAPI description. Keys left out stay as they are; null or "" clears."""

    tags = serializers.ListField(child=serializers.CharField(max_length=100), required=False, allow_null=True)
    append_tags = serializers.BooleanField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    value = serializers.CharField(required=False, allow_null=True, allow_blank=True, help_text='"$1.00" or "1.00".')
    lead_status = serializers.ChoiceField(
        choices=["good_lead", "not_a_lead"], required=False, allow_null=True, allow_blank=True
    )
    customer_name = serializers.CharField(max_length=255, required=False, allow_null=True, allow_blank=True)
    spam = serializers.BooleanField(
        required=False,
        allow_null=True,
        help_text=(
            "true marks the call as spam. Spam status cannot be removed through the API (reference): "
            "false is refused with 400 whatever the call's state, and null (or leaving spam out) keeps "
            "the call as it is (null is refused on a call already marked as spam, since it would clear it)."
        ),
    )
