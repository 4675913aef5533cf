"""Webhook bodies, in the reference's shapes (checklist §3.2).

Call events send the v3 call object (every field but a few) followed by the legacy keys
CallRail still sends; the key list and its order are the reference's signature
test body. Text and form events have their own small shapes. Every body carries
``timestamp``, the moment the event happened, in the company's time zone, so a
receiver can refuse replays.
"""

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from accounts.phone import dashed
from integrations.models import Integration
from integrations.v3_shapes import CALL_FIELDS, iso8601, v3_renderers
from telephony.models import Call, TextMessage
from tracking.models import FormSubmission

# The v3 call fields a call webhook leaves out: the reference's webhook body has none of them
# (nor our extensions).
CALL_FIELDS_NOT_SENT = frozenset(
    {
        "agent_email",
        "call_summary",
        "click_events",
        "campaign",
        "fbclid",
        "keypad_entries",
        "milestones",
        "msclkid",
        "person_id",
        "sentiment",
        "source",
        "timeline_url",
        "waveforms",
        "zip_code",
    }
)
# The v3 call fields in a call webhook, in the reference's order.
CALL_API_KEYS = tuple(name for name in CALL_FIELDS if name not in CALL_FIELDS_NOT_SENT)
# Keys CallRail's legacy API sent, still part of every call webhook.
CALL_LEGACY_KEYS: tuple[str, ...] = (
    "callercity",
    "callercountry",
    "callername",
    "callernum",
    "callerstate",
    "callsource",
    "campaign",
    "custom",
    "datetime",
    "destinationnum",
    "ip",
    "kissmetrics_id",
    "landingpage",
    "referrer",
    "referrermedium",
    "score",
    "tag",
    "trackingnum",
    "timestamp",
)
CALL_KEYS = CALL_API_KEYS + CALL_LEGACY_KEYS
# Booleans stay booleans when unknown; every other empty value is "" as in the reference's body.
_BOOLEAN_KEYS = frozenset({"answered", "first_call", "voicemail", "first_form"})

TEXT_RECEIVED_KEYS: tuple[str, ...] = (
    "id",
    "resource_id",
    "source_number",
    "destination_number",
    "content",
    "timestamp",
    "lead_status",
    "conversation_id",
    "company_resource_id",
    "person_resource_id",
)
TEXT_SENT_KEYS: tuple[str, ...] = (
    "id",
    "resource_id",
    "agent",
    "source_number",
    "destination_number",
    "content",
    "timestamp",
    "lead_status",
    "conversation_id",
    "company_resource_id",
    "person_resource_id",
)
FORM_KEYS: tuple[str, ...] = (
    "id",
    "company_id",
    "form_data",
    "form_url",
    "landing_page_url",
    "referrer",
    "referring_url",
    "submitted_at",
    "first_form",
    "source",
    "keywords",
    "campaign",
    "medium",
    *FormSubmission.UTM_FIELDS,
    "timestamp",
)

# The GA cookies have their own keys; the others (custom cookie capture) fill the legacy `custom`.
_GA_COOKIE_NAMES = frozenset(
    prefix + name for name in ("utma", "utmb", "utmc", "utmv", "utmz", "ga") for prefix in ("__", "_", "")
)


def body_encode(payload: dict[str, Any]) -> str:
    """The exact text sent and signed: compact JSON, key order kept, no trailing newline."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def call_api_representation(
    call: Call, time_zone: str, integrations: list[Integration] | None = None
) -> Mapping[str, Any]:
    """The v3 call object, every field the webhook carries, as the call endpoints render it.

    ``integrations`` (the company's active ones, when the caller has them) saves a query.
    """
    return v3_renderers().call(call, fields=CALL_API_KEYS, time_zone=time_zone, integrations=integrations)


def form_submission_api_representation(submission: FormSubmission, time_zone: str) -> Mapping[str, Any]:
    """The v3 form submission object, as the form submission endpoints render it."""
    return v3_renderers().form_submission(submission, fields=FORM_KEYS, time_zone=time_zone)


def _lead_score(lead_status: str | None) -> int | str:
    # The legacy `score`: 1 for a lead (now or earlier), 0 for not a lead, "" unscored.
    if lead_status in ("good_lead", "previously_marked_good_lead"):
        return 1
    if lead_status == "not_a_lead":
        return 0
    return ""


def _empty_as_blank(key: str, value: Any) -> Any:
    # The reference's webhook body never holds null: "" stands for an empty
    # value, false for an unknown flag (answered before the call is answered).
    if value is None:
        return False if key in _BOOLEAN_KEYS else ""
    if key == "keywords_spotted" and value == []:
        return ""
    return value


def call_payload(
    call: Call,
    *,
    occurred_at: datetime,
    changes: list[str] | None = None,
    integrations: list[Integration] | None = None,
) -> dict[str, Any]:
    """A call webhook body: the v3 call object, then the legacy keys, then ``changes`` if any."""
    time_zone = call.company.time_zone
    api = call_api_representation(call, time_zone, integrations)
    payload = {key: _empty_as_blank(key, api.get(key)) for key in CALL_API_KEYS}
    # The reference's webhook body uses the numeric ids, a string duration and
    # an integer recording_duration (checklist §5 #47); receivers parse it that way.
    payload["id"] = call.numeric_id
    payload["company_id"] = call.company.numeric_id
    payload["tracker_id"] = call.tracker.numeric_id if call.tracker else ""
    payload["duration"] = str(call.duration) if call.duration is not None else ""
    payload["recording_duration"] = call.recording_duration if call.recording_duration is not None else ""
    session = call.session if call.session_id else None
    custom_cookies = {name: value for name, value in (call.cookies or {}).items() if name not in _GA_COOKIE_NAMES}
    payload.update(
        {
            "callercity": call.customer_city,
            "callercountry": call.customer_country,
            "callername": call.customer_name,
            "callernum": call.customer_phone_number,
            "callerstate": call.customer_state,
            "callsource": call.source,
            "campaign": call.campaign,
            "custom": "&".join(f"{name}={value}" for name, value in sorted(custom_cookies.items())),
            "datetime": call.start_time.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            "destinationnum": call.business_phone_number,
            "ip": (session.ip_address or "") if session else "",
            # No Kissmetrics integration exists here; the key stays for parsers that expect it.
            "kissmetrics_id": "",
            "landingpage": call.landing_page_url,
            "referrer": call.referring_url,
            "referrermedium": call.medium,
            "score": _lead_score(call.lead_status),
            "tag": ",".join(payload["tags"]) if isinstance(payload["tags"], list) else "",
            "trackingnum": call.tracking_phone_number,
            "timestamp": iso8601(occurred_at, time_zone),
        }
    )
    if changes is not None:
        payload["changes"] = list(changes)
    return payload


def text_message_payload(message: TextMessage, *, occurred_at: datetime) -> dict[str, Any]:
    """Text Message Received / Sent: the reference's SMS shape (numbers as ``770-555-5555``)."""
    conversation = message.conversation
    company = conversation.company
    incoming = message.direction == TextMessage.Direction.INCOMING
    customer = dashed(conversation.customer_phone_number) or ""
    tracking = dashed(conversation.current_tracking_number) or ""
    payload: dict[str, Any] = {
        "id": message.numeric_id,
        "resource_id": message.public_id,
    }
    if not incoming:
        payload["agent"] = (message.user.name or message.user.email) if message.user else ""
    payload.update(
        {
            "source_number": customer if incoming else tracking,
            "destination_number": tracking if incoming else customer,
            "content": message.content,
            "timestamp": iso8601(occurred_at, company.time_zone),
            # The conversation's lead status, as the text message endpoints show it.
            "lead_status": "previously_marked_good_lead" if conversation.has_good_lead() else None,
            "conversation_id": conversation.public_id,
            "company_resource_id": company.public_id,
            "person_resource_id": conversation.person.public_id if conversation.person else None,
        }
    )
    return payload


def form_submission_payload(submission: FormSubmission, *, occurred_at: datetime) -> dict[str, Any]:
    time_zone = submission.company.time_zone
    api = form_submission_api_representation(submission, time_zone)
    payload = {key: _empty_as_blank(key, api.get(key)) for key in FORM_KEYS if key != "timestamp"}
    # Numeric ids, as in the reference's form webhook example.
    payload["id"] = submission.numeric_id
    payload["company_id"] = submission.company.numeric_id
    payload["timestamp"] = iso8601(occurred_at, time_zone)
    return payload
