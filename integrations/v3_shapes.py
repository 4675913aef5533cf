"""What the CallRail v3 objects look like, for the two things that send them: the REST
API (``api/``) and webhook bodies (``integrations/webhooks/payloads.py``).

Both read the shared pieces here: the time format and the call object's field list.
Rendering a whole call or form submission is the API's serializers' job, and webhook
bodies embed exactly what the endpoints show; but ``integrations`` sits below ``api``
and may not import it. So the API layer hands its renderers over when it starts
(``ApiConfig.ready`` calls ``v3_renderers_register``), and webhook payloads ask for
them here.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from integrations.models import Integration
from telephony.models import Call
from tracking.models import FormSubmission


def iso8601(value: datetime | None, tz: str | ZoneInfo | None = None) -> str | None:
    """``2016-01-29T12:43:10.286-05:00``: milliseconds and an offset, as the reference shows."""
    if value is None:
        return None
    zone = ZoneInfo(tz) if isinstance(tz, str) else (tz or ZoneInfo("UTC"))
    local = timezone.localtime(value, zone)
    text = local.isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z") if tz is None else text


# Every field of the v3 call object, in the reference's order (the order its call webhook
# body lists them). The API renders them all (``api/v3/serializers/calls.py``: its
# defaults, the others on request); call webhook bodies carry all but a few
# (``integrations/webhooks/payloads.py``).
CALL_FIELDS: tuple[str, ...] = (
    "answered",
    "business_phone_number",
    "call_type",
    "company_id",
    "company_name",
    "company_time_zone",
    "created_at",
    "customer_city",
    "customer_country",
    "customer_name",
    "customer_phone_number",
    "customer_state",
    "device_type",
    "direction",
    "duration",
    "first_call",
    "formatted_call_type",
    "formatted_customer_location",
    "formatted_business_phone_number",
    "formatted_customer_name",
    "prior_calls",
    "formatted_customer_name_or_phone_number",
    "formatted_customer_phone_number",
    "formatted_duration",
    "formatted_tracking_phone_number",
    "formatted_tracking_source",
    "formatted_value",
    "good_lead_call_id",
    "good_lead_call_time",
    "id",
    "lead_status",
    "note",
    "source",
    "recording",
    "recording_duration",
    "source_name",
    "start_time",
    "tags",
    "total_calls",
    "tracking_phone_number",
    "transcription",
    "value",
    "waveforms",
    "voicemail",
    "tracker_id",
    "keywords",
    "medium",
    "campaign",
    "referring_url",
    "landing_page_url",
    "last_requested_url",
    "referrer_domain",
    "conversational_transcript",
    "utm_source",
    "utm_medium",
    "utm_term",
    "utm_content",
    "utm_campaign",
    "utma",
    "utmb",
    "utmc",
    "utmv",
    "utmz",
    "ga",
    "gclid",
    "fbclid",
    "msclkid",
    "milestones",
    "timeline_url",
    "person_id",
    "integration_data",
    "keywords_spotted",
    "recording_player",
    "speaker_percent",
    "call_highlights",
    "call_summary",
    "sentiment",
    "keypad_entries",
    "zip_code",
    "agent_email",
    # Our extension (not in the reference): the tel: clicks the call followed.
    "click_events",
)


class CallRenderer(Protocol):
    def __call__(
        self, call: Call, *, fields: Sequence[str], time_zone: str, integrations: list[Integration] | None
    ) -> Mapping[str, Any]:
        """The v3 call object limited to ``fields``, times in ``time_zone``. ``integrations``
        (the company's active ones, when the caller has them) saves a query."""
        ...


class FormSubmissionRenderer(Protocol):
    def __call__(self, submission: FormSubmission, *, fields: Sequence[str], time_zone: str) -> Mapping[str, Any]:
        """The v3 form submission object limited to ``fields``, times in ``time_zone``."""
        ...


@dataclass(frozen=True)
class V3Renderers:
    call: CallRenderer
    form_submission: FormSubmissionRenderer


_registered: V3Renderers | None = None


def v3_renderers_register(renderers: V3Renderers) -> None:
    global _registered
    _registered = renderers


def v3_renderers() -> V3Renderers:
    if _registered is None:
        raise ImproperlyConfigured(
            "No v3 renderers are registered: webhook bodies embed the API's call and form objects, "
            "so the 'api' app must be in INSTALLED_APPS (its ready() registers them)."
        )
    return _registered
