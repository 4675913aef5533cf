"""The account the client compatibility tests point the clients at: an agency as it
looks after some weeks of use, reached through the live test server.

Bulk rows (more than one page, 100, of every collection the clients read) come from
the factories; the interactions that matter come through the real paths, as a carrier
and a browser would make them: calls placed by ``CallSimulator`` against the live
server's Twilio webhooks (an answered call with its recording, a voicemail left and
transcribed, a call from a visitor whose session held the number), texts in both
directions (a signed inbound SMS webhook, then a reply sent through the API).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import requests
from django.utils import timezone

from accounts.models import Account, Company, Tag, User
from api.tests.factories import (
    CallFactory,
    FormSubmissionFactory,
    PersonFactory,
    TextConversationFactory,
    TextMessageFactory,
)
from integrations.models import Integration, Notification
from telephony.call_simulator import CallSimulator
from telephony.models import Call
from telephony.tests.test_voice_webhook import hold
from telephony.twilio import signature_compute
from tracking.models import PageView, Tracker, TrackingNumber
from tracking.tests.factories import CallFlowFactory, TrackerFactory, TrackingNumberFactory, VisitorSessionFactory

ROWS = 105  # > 100: every client has to fetch a second page

VOICEMAIL_FLOW = {
    "type": "advanced",
    "recording_enabled": True,
    "initial_step_id": "ring",
    "steps": [
        {"id": "ring", "type": "dial", "destination_number": "+14045550101", "timeout": 20, "timeout_step_id": "vm"},
        {"id": "vm", "type": "voicemail", "prompt_text": "Please leave a message.", "transcribe": True},
    ],
}
CUSTOMER = "+14045550177"  # calls, then texts: one lead across channels
ROBOCALLER = "+14045550666"
# Calls in the call log: the bulk history, the three simulated calls, the robodialer's three.
CALLS = ROWS + 6


@dataclass
class Seeded:
    """What the runners are pointed at (ids they cannot find by listing)."""

    account: Account
    company: Company
    admin: User
    source_number: TrackingNumber
    answered_call: Call
    voicemail_call: Call
    visit_call: Call
    texted_conversation_id: str


def seed_account(
    *, base_url: str, account: Account, company: Company, admin: User, api_key: str, account_tags: bool = True
) -> Seeded:
    """Fill ``account`` through the live server at ``base_url``.

    ``account_tags`` adds an account-level tag (no company); pycallrail's Tag model
    refuses those, so its runner creates one itself after reading the list.
    """
    now = timezone.now()
    Company.objects.bulk_create([Company(account=account, name=f"Client {index:03}") for index in range(ROWS)])
    Tag.objects.bulk_create([Tag(account=account, company=company, name=f"Tag {index:03}") for index in range(ROWS)])
    if account_tags:
        Tag.objects.create(account=account, company=None, name="VIP", tag_level=Tag.Level.ACCOUNT, color="red1")
    User.objects.bulk_create(
        [
            User(account=account, email=f"agent{index:03}@example.com", first_name="Agent", last_name=f"{index:03}")
            for index in range(ROWS)
        ]
    )
    Integration.objects.create(
        account=account, company=company, type="Webhooks", config={"post_call_webhook": ["https://example.com/h"]}
    )
    Notification.objects.create(account=account, user=admin, company=company)

    # Trackers: a source tracker with a recorded basic flow, one whose flow takes
    # voicemail, and a website session pool.
    basic = TrackerFactory(
        company=company,
        type=Tracker.Type.SOURCE,
        name="Google Ads",
        source={"type": "search", "search_engine": "google", "search_type": "paid"},
        sms_enabled=True,
    )
    source_number = TrackingNumberFactory(tracker=basic)
    voicemail = TrackerFactory(
        company=company,
        type=Tracker.Type.SOURCE,
        name="Billboard",
        source={"type": "offline"},
        call_flow=CallFlowFactory(company=company, definition=VOICEMAIL_FLOW),
    )
    voicemail_number = TrackingNumberFactory(tracker=voicemail)
    pool = TrackerFactory(company=company, name="Website pool", pool_size=4)
    for _ in range(4):
        TrackingNumberFactory(tracker=pool)

    # The calls that matter, placed through the webhooks as Twilio would.
    def simulate(to: str, **options: object) -> Call:
        result = CallSimulator(base_url=base_url, to=to, from_=CUSTOMER, caller_name="KEVIN MANN", **options).run()
        return Call.objects.get(call_sid=result.call_sid)

    answered = simulate(source_number.number, outcome="answered", duration=95)
    voicemail_call = simulate(voicemail_number.number, outcome="voicemail", duration=20)
    visit = VisitorSessionFactory(
        company=company,
        tracker=pool,
        landing_url="https://example.com/plumbing?utm_source=google&utm_medium=cpc&gclid=abc123",
        referrer_url="https://www.google.com/",
        source="google_paid",
        medium="cpc",
        utm_source="google",
        utm_medium="cpc",
        gclid="abc123",
    )
    PageView.objects.bulk_create(
        [
            PageView(
                account=account,
                session=visit,
                page_url=f"https://example.com/{path}",
                referrer_url="https://www.google.com/",
                created_at=now - timedelta(minutes=minutes),
            )
            for path, minutes in (("plumbing", 6), ("pricing", 4), ("contact", 2))
        ]
    )
    number = hold(pool, visit, now - timedelta(minutes=5))
    visit_call = simulate(number.number, outcome="answered", duration=240)

    # Texts both ways with the same customer: a text in through the SMS webhook, a reply out.
    sms_url = f"{base_url}/telephony/twilio/sms"
    params = {
        "MessageSid": "SM" + "1" * 32,
        "AccountSid": "AC" + "5" * 32,
        "From": CUSTOMER,
        "To": source_number.number,
        "Body": "Hi, can you come out Tuesday?",
        "NumMedia": "0",
    }
    requests.post(
        sms_url, data=params, headers={"X-Twilio-Signature": signature_compute(sms_url, params)}, timeout=15
    ).raise_for_status()
    reply = requests.post(
        f"{base_url}/v3/a/{account.public_id}/text-messages.json",
        json={
            "company_id": company.public_id,
            "customer_phone_number": CUSTOMER,
            "tracking_number": source_number.number,
            "content": "Tuesday at 10 works. See you then!",
        },
        headers={"Authorization": f'Token token="{api_key}"'},
        timeout=15,
    )
    reply.raise_for_status()

    # A robodialer: short unanswered calls from one number, the pattern spam tools look for.
    robot = PersonFactory(company=company, phone_number=ROBOCALLER, name="")
    for minutes in (10, 20, 30):
        CallFactory(
            company=company,
            tracker=basic,
            person=robot,
            customer_phone_number=ROBOCALLER,
            customer_name="",
            start_time=now - timedelta(minutes=minutes),
            duration=4,
            answered=False,
            status=Call.Status.NO_ANSWER,
            first_call=minutes == 30,
            source="google_paid",
        )

    # Bulk history, over the past days: calls, forms and conversations of many leads.
    for index in range(ROWS):
        person = PersonFactory(company=company)
        CallFactory(
            company=company,
            tracker=basic,
            person=person,
            customer_phone_number=person.phone_number,
            start_time=now - timedelta(hours=index + 1),
            source="google_paid",
            recording_url="https://api.twilio.com/2010-04-01/Accounts/AC5/Recordings/RE" + f"{index:032d}",
            recording_duration=30 + index,
        )
        FormSubmissionFactory(
            company=company,
            person=person,
            customer_phone_number=person.phone_number,
            submitted_at=now - timedelta(hours=index + 1, minutes=30),
        )
        conversation = TextConversationFactory(
            company=company,
            person=person,
            customer_phone_number=person.phone_number,
            initial_tracker=basic,
            current_tracker=basic,
            initial_tracking_number=source_number.number,
            current_tracking_number=source_number.number,
            last_message_at=now - timedelta(hours=index + 1),
        )
        TextMessageFactory(conversation=conversation)
    return Seeded(
        account=account,
        company=company,
        admin=admin,
        source_number=source_number,
        answered_call=answered,
        voicemail_call=voicemail_call,
        visit_call=visit_call,
        texted_conversation_id=reply.json()["id"],
    )
