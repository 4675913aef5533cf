"""The retention purge: exactly the records older than each account's ``data_retention_days``
go, recordings at the carrier too; newer ones, and accounts that keep everything, stay."""

import json
from datetime import datetime, timedelta
from io import StringIO
from typing import Any
from unittest import mock

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Account, Company
from callrail.celery import app
from integrations.models import NotificationEmail, WebhookDelivery, WebhookEvent
from privacy.retention import retention_purge
from privacy.tasks import retention_purge as retention_purge_task
from privacy.tests.conftest import (
    days_ago,
    make_alert_email,
    make_call,
    make_form,
    make_person,
    make_session,
    make_text,
    make_webhook_event,
)
from telephony.carrier import CarrierError
from telephony.models import Call, SimulatedCarrierRequest, TextConversation, TextMessage
from telephony.simulated_carrier import SimulatedCarrier
from tracking.models import ClickEvent, FormSubmission, PageView, Person, VisitorSession

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():
    return timezone.now()


def history(company: Company, *, age: float, now: datetime, phone: str) -> dict[str, Any]:
    """One of everything a caller leaves, ``age`` days old."""
    at = days_ago(age, now)
    lead = make_person(company, at=at, phone_number=phone)
    visit = make_session(company, at=at, person=lead)
    call = make_call(
        company,
        at=at,
        person=lead,
        session=visit,
        customer_phone_number=phone,
        recording_sid=f"RE{phone[-4:]}{int(age)}",
        recording_url="https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1",
        transcription="Please call me back",
    )
    return {
        "person": lead,
        "session": visit,
        "call": call,
        "text": make_text(company, at=at, phone=phone, person=lead),
        "form": make_form(company, at=at, person=lead, session=visit),
        "event": make_webhook_event(company, at=at, key=call.public_id),
        "email": make_alert_email(company.account, at=at, subject_id=call.public_id),
    }


def alive(rows: dict) -> dict[str, bool]:
    return {
        "person": Person.objects.filter(pk=rows["person"].pk).exists(),
        "session": VisitorSession.objects.filter(pk=rows["session"].pk).exists(),
        "page_views": PageView.objects.filter(session_id=rows["session"].pk).exists(),
        "call": Call.objects.filter(pk=rows["call"].pk).exists(),
        "text": TextMessage.objects.filter(pk=rows["text"].pk).exists(),
        "conversation": TextConversation.objects.filter(pk=rows["text"].conversation_id).exists(),
        "form": FormSubmission.objects.filter(pk=rows["form"].pk).exists(),
        "event": WebhookEvent.objects.filter(pk=rows["event"].pk).exists(),
        "delivery": WebhookDelivery.objects.filter(webhook_event_id=rows["event"].pk).exists(),
        "email": NotificationEmail.objects.filter(pk=rows["email"].pk).exists(),
    }


ALL = dict.fromkeys(
    ("person", "session", "page_views", "call", "text", "conversation", "form", "event", "delivery", "email"), True
)
NONE = dict.fromkeys(ALL, False)


def deleted_recordings() -> set[str]:
    return set(
        SimulatedCarrierRequest.objects.filter(action=SimulatedCarrierRequest.Action.DELETE_RECORDING).values_list(
            "sid", flat=True
        )
    )


def test_it_deletes_exactly_what_is_older_than_the_retention_period(account, company, now):
    account.data_retention_days = 30
    account.save()
    old = history(company, age=31, now=now, phone="+13035550101")
    recent = history(company, age=29, now=now, phone="+13035550102")

    counts = retention_purge(now=now)

    assert alive(old) == NONE
    assert alive(recent) == ALL
    assert deleted_recordings() == {old["call"].recording_sid}
    assert counts == {
        "calls": 1,
        "recordings": 1,
        "text_messages": 1,
        "text_conversations": 1,
        "form_submissions": 1,
        "visitor_sessions": 1,
        "page_views": 2,
        "people": 1,
        "webhook_events": 1,
        "webhook_deliveries": 1,
        "notification_emails": 1,
    }


def test_the_default_period_is_760_days(account, company, now):
    assert Account.objects.get(pk=account.pk).data_retention_days == 760
    old = history(company, age=761, now=now, phone="+13035550101")
    kept = history(company, age=700, now=now, phone="+13035550102")
    retention_purge(now=now)
    assert alive(old) == NONE
    assert alive(kept) == ALL


def test_an_account_that_keeps_everything_loses_nothing(account, company, other_company, now):
    forever = other_company.account
    forever.data_retention_days = 0
    forever.save()
    ancient = history(other_company, age=4000, now=now, phone="+13035550103")
    old = history(company, age=800, now=now, phone="+13035550101")
    retention_purge(now=now)
    assert alive(ancient) == ALL
    assert alive(old) == NONE


def test_a_person_with_something_left_stays(account, company, now):
    account.data_retention_days = 30
    account.save()
    lead = make_person(company, at=days_ago(100, now), phone_number="+13035550104")
    old_call = make_call(company, at=days_ago(100, now), person=lead, customer_phone_number=lead.phone_number)
    new_call = make_call(company, at=days_ago(1, now), person=lead, customer_phone_number=lead.phone_number)
    retention_purge(now=now)
    assert not Call.objects.filter(pk=old_call.pk).exists()
    assert Call.objects.filter(pk=new_call.pk).exists()
    assert Person.objects.filter(pk=lead.pk).exists()


def test_every_recording_of_a_call_goes_at_the_carrier(account, company, now):
    account.data_retention_days = 30
    account.save()
    make_call(
        company,
        at=days_ago(40, now),
        recording_sid="RE_voicemail",
        flow_state={"recording_sids": ["RE_whole_call", "RE_voicemail"]},
    )
    assert retention_purge(now=now)["recordings"] == 2
    assert deleted_recordings() == {"RE_whole_call", "RE_voicemail"}


def test_a_recording_the_carrier_keeps_keeps_its_call_until_next_time(account, company, now):
    account.data_retention_days = 30
    account.save()
    stuck = make_call(company, at=days_ago(40, now), recording_sid="RE_stuck")
    gone = make_call(company, at=days_ago(40, now), recording_sid="RE_gone")

    class Refusing(SimulatedCarrier):
        def recording_delete(self, sid: str) -> None:
            if sid == "RE_stuck":
                raise CarrierError("the carrier is down")
            super().recording_delete(sid)

    with mock.patch("privacy.retention.get_carrier", return_value=Refusing()):
        retention_purge(now=now)
    assert Call.objects.filter(pk=stuck.pk).exists()
    assert not Call.objects.filter(pk=gone.pk).exists()

    retention_purge(now=now)
    assert not Call.objects.filter(pk=stuck.pk).exists()
    assert deleted_recordings() == {"RE_stuck", "RE_gone"}


def test_batches_are_short_and_cover_everything(account, company, now):
    account.data_retention_days = 30
    account.save()
    for n in range(7):
        make_call(company, at=days_ago(40 + n, now))
        make_session(company, at=days_ago(40 + n, now), page_views=1)
    make_session(company, at=days_ago(1, now))
    counts = retention_purge(now=now, batch=2)
    assert (counts["calls"], counts["visitor_sessions"], counts["page_views"]) == (7, 7, 7)
    assert VisitorSession.objects.count() == 1


def test_purge_expired_runs_it_now_and_the_beat_runs_it_nightly(account, company, now):
    account.data_retention_days = 30
    account.save()
    old = history(company, age=45, now=now, phone="+13035550101")
    out = StringIO()
    call_command("purge_expired", stdout=out)
    assert json.loads(out.getvalue())["calls"] == 1
    assert alive(old) == NONE

    entry = app.conf.beat_schedule["privacy-retention-purge"]
    assert entry["task"] == retention_purge_task.name == "privacy.tasks.retention_purge"
    assert entry["schedule"].hour == {3}
    assert retention_purge_task() == {}


def test_idle_sessions_still_follow_the_installation_wide_limit(account, company, now, settings):
    settings.DNI_SESSION_RETENTION_DAYS = 10
    idle = make_session(company, at=days_ago(11, now))
    counts = retention_purge(now=now + timedelta(seconds=1))
    assert counts["visitor_sessions"] == 1
    assert not VisitorSession.objects.filter(pk=idle.pk).exists()


def make_click(company: Company, *, at: datetime, session: VisitorSession | None = None) -> ClickEvent:
    return ClickEvent.objects.create(
        account=company.account,
        company=company,
        session=session,
        visitor_id=session.visitor_id if session else f"visitor-{at.timestamp()}",
        phone_number="4705550101",
        page_url="https://example.com/contact",
        clicked_at=at,
    )


def test_clicks_without_a_session_go_by_their_own_time(account, company, other_company, now):
    account.data_retention_days = 30
    account.save()
    old = make_click(company, at=days_ago(31, now))
    recent = make_click(company, at=days_ago(29, now))
    old_visit = make_session(company, at=days_ago(31, now))
    with_old_session = make_click(company, at=days_ago(31, now), session=old_visit)
    # Linked to a call that goes too: the link goes with them.
    call = make_call(company, at=days_ago(31, now))
    call.click_events.add(old)
    elsewhere = make_click(other_company, at=days_ago(31, now))  # another account keeps its 760 days

    counts = retention_purge(now=now)

    assert set(ClickEvent.objects.values_list("pk", flat=True)) == {recent.pk, elsewhere.pk}
    assert not ClickEvent.objects.filter(pk=with_old_session.pk).exists()
    assert counts["click_events"] == 2
    assert not Call.click_events.through.objects.exists()
