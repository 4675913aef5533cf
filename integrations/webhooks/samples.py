"""Bodies for test events: the shape of each real event (the same keys, in the same order),
filled with an obviously fictional call, text or form (555-01xx numbers, example.com), so a
receiver can be tried before any real traffic reaches it.

A test event travels like a real one (outbox, signature, retries, delivery log) and
carries ``X-Webhook-Test: true``.
"""

from datetime import datetime
from typing import Any

from accounts.models import Company
from integrations.models import WebhookEvent
from integrations.v3_shapes import iso8601
from integrations.webhooks.payloads import CALL_KEYS, FORM_KEYS, TEXT_RECEIVED_KEYS, TEXT_SENT_KEYS

Event = WebhookEvent.Event

_BOOLEAN_KEYS = frozenset({"answered", "first_call", "voicemail", "first_form"})

_CALL_VALUES: dict[str, Any] = {
    "answered": True,
    "business_phone_number": "+15555550100",
    "call_type": "answered",
    "customer_city": "Springfield",
    "customer_country": "US",
    "customer_name": "Test Caller",
    "customer_phone_number": "+15555550123",
    "customer_state": "IL",
    "direction": "inbound",
    "duration": "42",
    "first_call": True,
    "formatted_call_type": "Answered Call",
    "formatted_customer_location": "Springfield, IL",
    "formatted_business_phone_number": "555-555-0100",
    "formatted_customer_name": "Test Caller",
    "prior_calls": 0,
    "formatted_customer_name_or_phone_number": "Test Caller",
    "formatted_customer_phone_number": "555-555-0123",
    "formatted_duration": "42s",
    "formatted_tracking_phone_number": "555-555-0142",
    "formatted_tracking_source": "Google Paid",
    "formatted_value": "--",
    "id": 100000000,
    "source_name": "Test tracker",
    "tags": [],
    "total_calls": 1,
    "tracking_phone_number": "+15555550142",
    "voicemail": False,
    "tracker_id": 100000000,
    "medium": "cpc",
    "landing_page_url": "https://www.example.com/",
    "utm_source": "google",
    "utm_medium": "cpc",
    "callercity": "Springfield",
    "callercountry": "US",
    "callername": "Test Caller",
    "callernum": "+15555550123",
    "callerstate": "IL",
    "callsource": "google_paid",
    "destinationnum": "+15555550100",
    "landingpage": "https://www.example.com/",
    "referrermedium": "cpc",
    "trackingnum": "+15555550142",
}

_TEXT_VALUES: dict[str, Any] = {
    "id": 100000000,
    "resource_id": "SMS-test",
    "agent": "",
    "content": "This is a test message.",
    "lead_status": None,
    "conversation_id": "test",
    "person_resource_id": None,
}

_FORM_VALUES: dict[str, Any] = {
    "id": 100000000,
    "form_data": {"name": "Test Visitor", "email": "visitor@example.com", "message": "This is a test form."},
    "form_url": "https://www.example.com/contact",
    "landing_page_url": "https://www.example.com/",
    "referrer": "direct",
    "first_form": True,
    "source": "Direct",
    "medium": "direct",
}


def _blank(key: str, values: dict[str, Any]) -> Any:
    if key in values:
        return values[key]
    return False if key in _BOOLEAN_KEYS else ""


def sample_payload(event: str, *, company: Company, now: datetime) -> dict[str, Any]:
    """A body in ``event``'s shape about a fictional call, text or form of ``company``."""
    stamp = iso8601(now, company.time_zone)
    if event in (Event.TEXT_MESSAGE_RECEIVED, Event.TEXT_MESSAGE_SENT):
        incoming = event == Event.TEXT_MESSAGE_RECEIVED
        keys = TEXT_RECEIVED_KEYS if incoming else TEXT_SENT_KEYS
        customer, tracking = "555-555-0123", "555-555-0142"
        values = {
            **_TEXT_VALUES,
            "source_number": customer if incoming else tracking,
            "destination_number": tracking if incoming else customer,
            "timestamp": stamp,
            "company_resource_id": company.public_id,
        }
        return {key: values.get(key) for key in keys}
    if event == Event.FORM_SUBMISSION:
        values = {**_FORM_VALUES, "company_id": company.numeric_id, "submitted_at": stamp, "timestamp": stamp}
        return {key: _blank(key, values) for key in FORM_KEYS}
    values = {
        **_CALL_VALUES,
        "company_id": company.numeric_id,
        "company_name": company.name,
        "company_time_zone": company.time_zone,
        "created_at": stamp,
        "start_time": stamp,
        "datetime": now.strftime("%Y-%m-%d %H:%M:%S"),
        "timestamp": stamp,
    }
    if event in (Event.OUTBOUND_POST_CALL, Event.OUTBOUND_CALL_MODIFIED):
        values["direction"] = "outbound"
    payload = {key: _blank(key, values) for key in CALL_KEYS}
    if event in (Event.CALL_MODIFIED, Event.OUTBOUND_CALL_MODIFIED):
        payload["changes"] = ["note"]
    return payload
