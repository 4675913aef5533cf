"""Calls for the call log's and a call's tests: thirty calls of every kind for the log, and a
call with everything its page shows (a recorded conversation through a menu and a round
robin, the visit behind it, the caller's history)."""

from datetime import timedelta
from typing import Any

from django.utils import timezone

from accounts.models import Company, Tag
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


NAMES = (
    "Dana Whitfield",
    "Marcus Lee",
    "Priya Raman",
    "Tom Okafor",
    "Elena Garcia",
    "Sam Patel",
    "Grace Kim",
    "Luis Romero",
    "Ava Brooks",
    "Noah Fischer",
    "Mia Johnson",
    "Owen Carter",
    "",
    "Zoe Adams",
    "Ethan Wright",
    "Chloe Nguyen",
    "Ben Ortiz",
    "Lily Chen",
    "Jack Miller",
    "Nora Davis",
    "Leo Martin",
    "Ruby Scott",
    "Isaac Hall",
    "Ella Young",
    "Caleb King",
    "Hannah Lopez",
    "Ryan Hill",
    "Sofia Green",
    "Adam Baker",
    "Spam Bot",
)
CITIES = ("Atlanta", "Decatur", "Marietta", "Roswell", "Smyrna", "Alpharetta")
SOURCES = (
    ("google_paid", "cpc", "water heater repair", "/water-heaters"),
    ("direct", "direct", "", "/"),
    ("facebook.com", "referral", "", "/blog/winter-pipes"),
)


def seed_call_log(company: Company, second_company: Company) -> list[Call]:
    """Thirty calls over the ten days before today (the default period, last_30_days, ends
    yesterday), of every kind, in two companies."""
    pool = TrackerFactory(company=company, name="Website visitors")
    trackers = {
        company.pk: (pool, TrackerFactory(company=company, name="Google Ads", type="source")),
        second_company.pk: (TrackerFactory(company=second_company, name="Yard signs", type="source"),) * 2,
    }
    sales = Tag.objects.create(account=company.account, company=company, name="Sales")
    service = Tag.objects.create(account=company.account, company=None, tag_level="account", name="Service call")
    now = timezone.now()
    made = []
    for i in range(30):
        owner = company if i % 3 else second_company
        call = CallFactory(
            company=owner,
            tracker=trackers[owner.pk][i % 2],
            start_time=now - timedelta(days=1, hours=7 * i + 1),
            duration=None if i == 7 else 20 + 15 * (i % 9),
            answered=i % 4 != 0,
            voicemail=i % 8 == 0,
            direction="outbound" if i % 11 == 5 else "inbound",
            first_call=i % 5 == 0,
            lead_status=("good_lead", "not_a_lead", None)[i % 3],
            source=SOURCES[i % 3][0],
            medium=SOURCES[i % 3][1],
            keywords=SOURCES[i % 3][2],
            landing_page_url=f"https://alice-plumbing.example{SOURCES[i % 3][3]}",
            campaign="Spring" if i % 4 == 1 else "",
            customer_name=NAMES[i],
            customer_city="Macon" if i % 6 == 0 else CITIES[i % len(CITIES)],
            transcription="about the water heater" if i == 16 else "",
            recording_url=f"https://api.twilio.com/RE{i}" if i % 2 == 0 else "",
            recording_duration=20 + i if i % 2 == 0 else None,
            spam=i == 29,
        )
        if i % 4 == 2:
            call.tags.add(sales)
        if i % 7 == 3:
            call.tags.add(service)
        if i % 5 == 1:
            call.value = 150 + 25 * i
            call.save(update_fields=["value"])
        made.append(call)
    return made
