"""Erasing a person: every trace of their number and email goes, from every table that can
hold one, across the account's companies; other people's data and report totals stay; a
worker killed half-way is resumed; a later call from the number starts a new person."""

import json
from datetime import timedelta
from io import StringIO
from typing import Any
from unittest import mock

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import models
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Account, Company
from accounts.phone import dashed, formatted
from callrail.celery import app
from integrations.models import NotificationEmail, WebhookDelivery, WebhookEvent
from privacy import erasure as service
from privacy.erasure import erasure_request, erasure_run, erasures_resume, phone_needles
from privacy.models import Erasure
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
from telephony.models import Call, SimulatedCarrierRequest, TextConversation, TextMessage
from tracking.models import FormSubmission, PageView, Person, VisitorSession
from tracking.people import person_for_phone

pytestmark = pytest.mark.django_db

ANN_PHONE = "+13035550142"
ANN_EMAIL = "ann.example@example.com"
BOB_PHONE = "+13035550177"
BOB_EMAIL = "bob@example.com"


def needles(phone: str, email: str) -> list[str]:
    return [*phone_needles(phone), email]


def text_columns() -> list[tuple[type[models.Model], str]]:
    """Every column of every model that can hold a phone number or an email."""
    kinds = (models.CharField, models.TextField, models.JSONField)
    return [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, kinds)
    ]


def traces(phone: str, email: str) -> list[str]:
    """Where the number (in any of its spellings) or the email still appears."""
    found = []
    for model, name in text_columns():
        for needle in needles(phone, email):
            if model._base_manager.filter(**{f"{name}__icontains": needle}).exists():
                found.append(f"{model._meta.label}.{name} ~ {needle}")
    return found


@pytest.fixture
def second_company(account):
    return Company.objects.create(account=account, name="Alice Roofing")


@pytest.fixture
def ann(company, second_company):
    """Ann called, texted and filled forms at both companies; her webhook and email logs."""
    at = days_ago(3)
    lead = make_person(company, at=at, phone_number=ANN_PHONE, email=ANN_EMAIL, name="Ann Example")
    visit = make_session(company, at=at, person=lead, visitor_id="ann-browser", page_views=3)
    earlier_visit = make_session(company, at=days_ago(5), visitor_id="ann-browser", page_views=1)
    call = make_call(
        company,
        at=at,
        person=lead,
        session=visit,
        customer_phone_number=ANN_PHONE,
        customer_name="Ann Example",
        customer_city="Denver",
        customer_zip="80202",
        note=f"Call back on {formatted(ANN_PHONE)}",
        transcription="Hi, this is Ann, about my appointment.",
        recording_sid="RE_ann_call",
        recording_url="https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE_ann_call",
        recording_duration=42,
        landing_page_url=f"https://example.com/?email={ANN_EMAIL}",
        gclid="Cj0KCQ-ann",
        cookies={"_ga": "GA1.2.ann"},
        keypad_entries=[{"name": "Menu", "value": "1"}],
        duration=95,
        source="google_paid",
    )
    unlinked = make_call(company, at=days_ago(2), customer_phone_number=ANN_PHONE, duration=30, source="direct")
    message = make_text(company, at=at, phone=ANN_PHONE, person=lead, content="Is my appointment at 3?")
    form = make_form(
        company,
        at=at,
        person=lead,
        session=visit,
        customer_name="Ann Example",
        customer_email=ANN_EMAIL,
        customer_phone_number=ANN_PHONE,
        form_data={"your-name": "Ann Example", "tel": formatted(ANN_PHONE), "mail": ANN_EMAIL},
    )
    payload = json.dumps({"customer_phone_number": ANN_PHONE, "formatted_customer_phone_number": dashed(ANN_PHONE)})
    event = make_webhook_event(company, at=at, key=call.public_id, body=payload)
    email = make_alert_email(company.account, at=at, subject_id=call.public_id)
    # At the second company: by the same number, and a form filled with only her email.
    there = make_person(second_company, at=at, phone_number=ANN_PHONE, name="Ann E.")
    second_call = make_call(second_company, at=at, person=there, customer_phone_number=ANN_PHONE, duration=12)
    by_email = make_person(second_company, at=at, email=ANN_EMAIL.upper())
    second_form = make_form(
        second_company, at=at, person=by_email, customer_email=ANN_EMAIL, form_data={"email": ANN_EMAIL}
    )
    text_event = make_webhook_event(
        company, at=at, key=f"conversation:{message.conversation.public_id}", body=json.dumps({"content": "x"})
    )
    return {
        "people": [lead, there, by_email],
        "sessions": [visit, earlier_visit],
        "calls": [call, unlinked, second_call],
        "message": message,
        "forms": [form, second_form],
        "events": [event, text_event],
        "email": email,
    }


@pytest.fixture
def bob(company):
    """Another caller of the same company, who asked for nothing."""
    at = days_ago(4)
    lead = make_person(company, at=at, phone_number=BOB_PHONE, email=BOB_EMAIL, name="Bob Other")
    visit = make_session(company, at=at, person=lead, visitor_id="bob-browser")
    call = make_call(
        company,
        at=at,
        person=lead,
        session=visit,
        customer_phone_number=BOB_PHONE,
        customer_name="Bob Other",
        recording_sid="RE_bob",
        recording_url="https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE_bob",
        transcription="Bob here.",
        duration=61,
        source="bing_paid",
    )
    return {
        "person": lead,
        "session": visit,
        "call": call,
        "message": make_text(company, at=at, phone=BOB_PHONE, person=lead),
        "form": make_form(company, at=at, person=lead, customer_email=BOB_EMAIL, form_data={"email": BOB_EMAIL}),
        "event": make_webhook_event(company, at=at, key=call.public_id, body=json.dumps({"phone": BOB_PHONE})),
    }


def erase(account: Account, phone_number: str = "", email: str = "") -> Erasure:
    erasure = erasure_request(account=account, phone_number=phone_number, email=email, enqueue=False)
    done = erasure_run(erasure_id=erasure.pk)
    assert done is not None
    return done


def summary(api_client: APIClient, account: Account) -> dict[str, Any]:
    response = api_client.get(
        f"/v3/a/{account.public_id}/calls/summary.json?group_by=source"
        "&fields=total_calls,answered_calls,first_time_callers,average_duration"
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_every_trace_of_the_person_goes_and_everyone_else_stays(api_client, account, company, ann, bob):
    assert traces(ANN_PHONE, ANN_EMAIL)  # the search finds them before
    before = summary(api_client, account)
    bob_before = Call.objects.get(pk=bob["call"].pk)

    done = erase(account, phone_number=formatted(ANN_PHONE) or "", email=ANN_EMAIL)

    assert done.status == Erasure.Status.COMPLETED
    assert traces(ANN_PHONE, ANN_EMAIL) == []
    assert len(text_columns()) > 100  # the search really covers every table
    # Her calls stay, anonymous, so the reports add up as before.
    assert summary(api_client, account) == before
    for call in Call.objects.filter(pk__in=[c.pk for c in ann["calls"]]):
        assert (call.customer_phone_number, call.customer_name, call.customer_city, call.customer_zip) == ("",) * 4
        assert (call.person_id, call.session_id, call.note, call.transcription) == (None, None, "", "")
        assert (call.recording_sid, call.recording_url, call.gclid, call.cookies, call.keypad_entries) == (
            "",
            "",
            "",
            {},
            [],
        )
    first = Call.objects.get(pk=ann["calls"][0].pk)
    assert (first.duration, first.source, first.landing_page_url) == (95, "google_paid", "")
    # Her recording is gone at the carrier; Bob's is not.
    deleted = SimulatedCarrierRequest.objects.filter(action="delete_recording").values_list("sid", flat=True)
    assert list(deleted) == ["RE_ann_call"]
    assert not Person.objects.filter(pk__in=[p.pk for p in ann["people"]]).exists()
    assert not VisitorSession.objects.filter(pk__in=[s.pk for s in ann["sessions"]]).exists()
    assert not TextConversation.objects.filter(pk=ann["message"].conversation_id).exists()
    assert all(form.form_data == {} for form in FormSubmission.objects.filter(pk__in=[f.pk for f in ann["forms"]]))
    assert [e.body for e in WebhookEvent.objects.filter(pk__in=[e.pk for e in ann["events"]])] == ["{}", "{}"]
    assert not NotificationEmail.objects.filter(pk=ann["email"].pk).exists()

    # Bob's data is untouched.
    bob_after = Call.objects.get(pk=bob["call"].pk)
    assert [getattr(bob_after, f.attname) for f in Call._meta.concrete_fields] == [
        getattr(bob_before, f.attname) for f in Call._meta.concrete_fields
    ]
    assert Person.objects.filter(pk=bob["person"].pk).exists()
    assert VisitorSession.objects.filter(pk=bob["session"].pk).exists()
    assert TextMessage.objects.filter(pk=bob["message"].pk).exists()
    assert FormSubmission.objects.get(pk=bob["form"].pk).form_data == {"email": BOB_EMAIL}
    assert WebhookEvent.objects.get(pk=bob["event"].pk).body == json.dumps({"phone": BOB_PHONE})
    assert traces(BOB_PHONE, BOB_EMAIL)


def test_the_log_says_who_asked_when_and_how_much_never_what(account, admin_user, ann):
    erasure = erasure_request(account=account, phone_number=ANN_PHONE, requested_by=admin_user, enqueue=False)
    done = erasure_run(erasure_id=erasure.pk)
    assert (done.requested_by, done.by_phone_number, done.by_email) == (admin_user, True, False)
    assert done.completed_at is not None
    assert (done.phone_number, done.email, done.targets) == ("", "", {})
    assert done.counts == {
        "recordings": 1,
        "calls": 3,
        "text_messages": 1,
        "text_conversations": 1,
        "form_submissions": 1,  # by number; the form at the other company named only her email
        "visitor_sessions": 2,
        "page_views": 4,
        "webhook_events": 2,
        "webhook_deliveries": 2,
        "notification_emails": 1,
        "people": 2,
    }


def test_other_accounts_are_never_touched(account, other_company, ann):
    stranger = make_person(other_company, at=days_ago(1), phone_number=ANN_PHONE, email=ANN_EMAIL)
    call = make_call(other_company, at=days_ago(1), person=stranger, customer_phone_number=ANN_PHONE)
    erase(account, phone_number=ANN_PHONE, email=ANN_EMAIL)
    assert Person.objects.get(pk=stranger.pk).phone_number == ANN_PHONE
    assert Call.objects.get(pk=call.pk).customer_phone_number == ANN_PHONE


def test_a_later_call_from_the_number_starts_a_new_person(account, company, ann):
    old = ann["people"][0]
    erase(account, phone_number=ANN_PHONE)
    fresh = person_for_phone(account_id=account.pk, company_id=company.pk, phone_number=ANN_PHONE)
    assert fresh.pk != old.pk
    assert (fresh.name, fresh.email) == ("", "")
    assert not Call.objects.filter(company=company, customer_phone_number=ANN_PHONE).exists()


def test_it_is_idempotent(account, ann):
    done = erase(account, phone_number=ANN_PHONE, email=ANN_EMAIL)
    counts = dict(done.counts)
    again = erasure_run(erasure_id=done.pk)
    assert (again.status, again.counts) == (Erasure.Status.COMPLETED, counts)
    assert SimulatedCarrierRequest.objects.filter(action="delete_recording").count() == 1


def test_a_run_stopped_between_batches_finishes_where_it_stopped(account, ann, bob):
    erasure = erasure_request(account=account, phone_number=ANN_PHONE, email=ANN_EMAIL, enqueue=False)
    # The worker dies after seven batches of one row: the collection, the recordings of her
    # three calls (and the step's end), then two of the calls.
    stopped = erasure_run(erasure_id=erasure.pk, batch=1, max_batches=7)
    assert (stopped.status, stopped.step, stopped.cursor) == (Erasure.Status.RUNNING, "calls", 2)
    assert Call.objects.filter(customer_phone_number=ANN_PHONE).count() == 1
    assert traces(ANN_PHONE, ANN_EMAIL)

    # Its messages come back while it still holds the erasure: nothing happens.
    assert erasure_run(erasure_id=erasure.pk).cursor == 2
    # The beat's sweeper hands it to another worker once the hold lapses.
    later = timezone.now() + service.LOCK + timedelta(seconds=1)
    with mock.patch("privacy.tasks.erasure_run.delay") as delay:
        assert erasures_resume(now=timezone.now()) == 0
        assert erasures_resume(now=later) == 1
    delay.assert_called_once_with(erasure.pk)
    Erasure.objects.filter(pk=erasure.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    done = erasure_run(erasure_id=erasure.pk, batch=1)

    assert done.status == Erasure.Status.COMPLETED
    assert traces(ANN_PHONE, ANN_EMAIL) == []
    assert traces(BOB_PHONE, BOB_EMAIL)
    assert (done.counts["calls"], done.counts["recordings"], done.counts["people"]) == (3, 1, 3)
    assert SimulatedCarrierRequest.objects.filter(action="delete_recording").count() == 1


def test_a_batch_that_fails_leaves_nothing_half_done_and_is_retried(account, ann):
    erasure = erasure_request(account=account, phone_number=ANN_PHONE, email=ANN_EMAIL, enqueue=False)
    broken = mock.Mock(side_effect=RuntimeError("database went away"))
    with mock.patch.dict(service.STEP_WORK, {"texts": ("conversations", broken)}):
        failed = erasure_run(erasure_id=erasure.pk)
    assert (failed.status, failed.step, failed.error) == (Erasure.Status.PENDING, "texts", "texts: RuntimeError")
    assert TextMessage.objects.filter(pk=ann["message"].pk).exists()
    assert failed.counts["calls"] == 3

    Erasure.objects.filter(pk=erasure.pk).update(updated_at=timezone.now() - service.PENDING_GRACE * 2)
    with mock.patch("privacy.tasks.erasure_run.delay") as delay:
        assert erasures_resume() == 1
    delay.assert_called_once_with(erasure.pk)
    done = erasure_run(erasure_id=erasure.pk)
    assert (done.status, done.error, done.counts["calls"], done.counts["text_messages"]) == ("completed", "", 3, 1)


def test_it_gives_up_after_repeated_failures(account, ann):
    erasure = erasure_request(account=account, phone_number=ANN_PHONE, enqueue=False)
    with mock.patch.object(service, "_collect", side_effect=RuntimeError("no")):
        for _ in range(service.MAX_ATTEMPTS):
            result = erasure_run(erasure_id=erasure.pk)
    assert result.status == Erasure.Status.FAILED
    assert result.error == "collect: RuntimeError"


def test_the_sweeper_is_on_the_beat():
    entry = app.conf.beat_schedule["privacy-erasures-resume"]
    assert entry["task"] == "privacy.tasks.erasures_resume"


@pytest.mark.parametrize(
    ("identifiers", "message"),
    [
        ({}, "phone_number or email is required."),
        ({"email": "not an email"}, "email is not a valid email address."),
        ({"phone_number": "call me"}, "is not a valid phone number"),
    ],
)
def test_a_request_names_the_person(account, identifiers, message):
    with pytest.raises(ValidationError, match=message):
        erasure_request(account=account, enqueue=False, **identifiers)


def test_the_command_erases_at_once(account, ann):
    out = StringIO()
    call_command("erase_person", account=account.public_id, phone_number=ANN_PHONE, email=ANN_EMAIL, stdout=out)
    result = json.loads(out.getvalue())
    assert result["status"] == "completed"
    assert result["id"].startswith("ERS")
    assert Erasure.objects.get(public_id=result["id"]).requested_via == "command"
    assert traces(ANN_PHONE, ANN_EMAIL) == []
    with pytest.raises(CommandError, match="No account"):
        call_command("erase_person", account="ACC" + "0" * 32, phone_number=ANN_PHONE)


def test_page_views_and_deliveries_of_the_person_go(account, ann):
    visit = ann["sessions"][0]
    erase(account, email=ANN_EMAIL)
    assert not PageView.objects.filter(session_id=visit.pk).exists()
    assert WebhookDelivery.objects.get(webhook_event=ann["events"][0]).response_body == ""
