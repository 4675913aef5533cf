"""A call with everything a call's page shows: a recorded voicemail-free conversation through
a menu and a round robin, the visit behind it (pages, UTM values, the number shown), and the
caller's history (an earlier call, texts, a form)."""

from datetime import timedelta
from typing import Any

from django.utils import timezone

from accounts.models import Company
from api.tests.factories import (
    CallFactory,
    CallFlowFactory,
    FormSubmissionFactory,
    PageViewFactory,
    TextConversationFactory,
    TextMessageFactory,
    TrackerFactory,
    TrackingNumberFactory,
    VisitorSessionFactory,
)
from telephony.models import Call
from tracking.models import NumberAssignment

CALLER = "+14045550199"
FLOW = {
    "type": "advanced",
    "recording_enabled": True,
    "initial_step_id": 1,
    "steps": [
        {
            "id": 1,
            "type": "menu",
            "name": "Main menu",
            "prompt_type": "text",
            "prompt_text": "Press 1 for sales, 2 for service.",
            "menu_options": [
                {"key": "1", "description": "Sales", "next_step_id": 2},
                {"key": "2", "description": "Service", "next_step_id": 3},
            ],
        },
        {"id": 2, "type": "tag", "tags": ["Sales"], "next_step_id": 3},
        {"id": 3, "type": "round_robin", "name": "Sales team", "destination_numbers": ["+14045550101", "+14045550102"]},
    ],
}


def full_call(company: Company, **overrides: Any) -> Call:
    now = timezone.now()
    flow = CallFlowFactory(company=company, definition=FLOW)
    tracker = TrackerFactory(company=company, name="Website pool", call_flow=flow)
    number = TrackingNumberFactory(tracker=tracker, number="+14045550142")
    session = VisitorSessionFactory(
        company=company,
        tracker=tracker,
        landing_url="https://alice-plumbing.example/water-heaters?utm_source=google&utm_campaign=Spring",
    )
    started = now - timedelta(days=1, minutes=20)
    for minutes, path in (
        (0, "/water-heaters?utm_source=google&utm_campaign=Spring"),
        (4, "/pricing"),
        (9, "/contact"),
    ):
        PageViewFactory(
            session=session,
            page_url=f"https://alice-plumbing.example{path}",
            created_at=started + timedelta(minutes=minutes),
        )
    NumberAssignment.objects.create(
        account=company.account,
        tracker=tracker,
        tracking_number=number,
        session=session,
        started_at=started,
        expires_at=started + timedelta(minutes=30),
    )
    CallFactory(company=company, customer_phone_number=CALLER, start_time=now - timedelta(days=9), duration=31)
    conversation = TextConversationFactory(company=company, customer_phone_number=CALLER)
    TextMessageFactory(conversation=conversation, content="Is Thursday morning possible?")
    FormSubmissionFactory(company=company, customer_phone_number=CALLER, form_name="Quote request")
    values: dict[str, Any] = {
        "company": company,
        "tracker": tracker,
        "session": session,
        "tracking_phone_number": number.number,
        "customer_phone_number": CALLER,
        "customer_name": "Dana Whitfield",
        "customer_city": "Decatur",
        "customer_state": "GA",
        "start_time": started + timedelta(minutes=12),
        "duration": 194,
        "first_call": False,
        "business_phone_number": "+14045550102",
        "source": "google_paid",
        "medium": "cpc",
        "campaign": "Spring",
        "keywords": "water heater repair",
        "landing_page_url": session.landing_url,
        "referring_url": "https://www.google.com/",
        "utm_source": "google",
        "utm_campaign": "Spring",
        "gclid": "EAIaIQobChMI",
        "recording_url": "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE42",
        "recording_sid": "RE42",
        "recording_duration": 12,
        "keypad_entries": [{"name": "Main menu", "value": "1"}],
        "flow_state": {"path": [1, 2, 3], "rr_order": {"3": ["+14045550101", "+14045550102"]}, "dialed": True},
    }
    values.update(overrides)
    return CallFactory(**values)
