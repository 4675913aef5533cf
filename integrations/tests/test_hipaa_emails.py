"""HIPAA accounts' alert and summary emails: that something happened and where to sign in,
never the caller's name, number, location, recording, transcription or form fields."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from accounts.phone import dashed, formatted
from integrations.emails import (
    call_notifications_send,
    form_submission_notifications_send,
    summary_emails_send,
    text_message_notifications_send,
)
from integrations.models import Notification, SummaryEmail
from integrations.tests.conftest import complete_call, make_call, make_conversation, make_form_submission, make_text

pytestmark = pytest.mark.django_db

CALLER = "+12148654559"
TRANSCRIPT = "Hi, this is Kaylah, about my test results."
RECORDING = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE0123456789abcdef"
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def hipaa(account):
    account.hipaa_account = True
    account.save()
    Notification.objects.create(account=account, email="front-desk@example.com")
    return account


def secrets_of_the_call() -> list[str]:
    digits = (dashed(CALLER) or "").replace("-", "")
    return [
        "Kaylah",
        "Mills",
        CALLER,
        formatted(CALLER) or "",
        dashed(CALLER) or "",
        digits,
        "Rochester",
        TRANSCRIPT,
        RECORDING,
        "RE0123456789abcdef",
        "recording",
        "access_key",
    ]


def sent_text() -> str:
    return "\n".join(f"{message.subject}\n{message.body}" for message in mail.outbox)


def voicemail(tracker):
    return complete_call(
        make_call(tracker, customer_phone_number=CALLER),
        answered=False,
        voicemail=True,
        transcription=TRANSCRIPT,
        recording_url=RECORDING,
        recording_sid="RE0123456789abcdef",
        recording_duration=20,
    )


def test_a_call_alert_says_only_where_to_look(hipaa, company, tracker, settings):
    call = voicemail(tracker)
    assert call_notifications_send(call=call) == 1
    text = sent_text()
    assert [secret for secret in secrets_of_the_call() if secret.lower() in text.lower()] == []
    assert company.name in mail.outbox[0].subject
    assert f"{settings.PUBLIC_BASE_URL}/calls/{call.public_id}/" in mail.outbox[0].body
    assert "sign in" in mail.outbox[0].body.lower()


def test_the_same_alert_of_another_account_carries_the_details(account, company, tracker):
    # The check above would notice the data: here it is, outside HIPAA mode.
    Notification.objects.create(account=account, email="front-desk@example.com")
    call_notifications_send(call=voicemail(tracker))
    text = sent_text()
    assert "Kaylah Mills" in text
    assert TRANSCRIPT in text


def test_a_text_alert_carries_no_sender_or_message(hipaa, company, tracker, settings):
    Notification.objects.filter(account=hipaa).update(sms_enabled=True)
    message = make_text(make_conversation(tracker, customer_name="Kaylah Mills"), content="My results, please")
    assert text_message_notifications_send(message=message) == 1
    text = sent_text()
    for secret in ("Kaylah", "+17705555555", "770", "My results"):
        assert secret not in text
    assert f"{settings.PUBLIC_BASE_URL}/texts/" in text


def test_a_form_alert_carries_no_fields(hipaa, company, settings):
    submission = make_form_submission(
        company,
        customer_name="Kaylah Mills",
        customer_email="kaylah@example.com",
        customer_phone_number=CALLER,
        form_data={"name": "Kaylah Mills", "symptoms": "persistent cough"},
    )
    assert form_submission_notifications_send(submission=submission) == 1
    text = sent_text()
    for secret in ("Kaylah", "kaylah@example.com", "persistent cough", "symptoms", "214"):
        assert secret not in text
    assert f"{settings.PUBLIC_BASE_URL}/forms/" in text


def test_a_summary_email_has_no_call_log(hipaa, company, tracker, settings):
    summary = SummaryEmail.objects.create(
        account=hipaa,
        company=company,
        email="owner@example.com",
        frequency=["daily"],
        config={"summary_statistics": True, "top_sources": True, "top_keywords": True, "call_log": True},
    )
    SummaryEmail.objects.filter(pk=summary.pk).update(created_at=datetime(2026, 1, 1, tzinfo=NEW_YORK))
    complete_call(
        make_call(tracker, customer_phone_number=CALLER, start_time=datetime(2026, 3, 9, 10, tzinfo=NEW_YORK))
    )

    assert summary_emails_send(now=datetime(2026, 3, 10, 7, tzinfo=NEW_YORK)) == 1
    text = sent_text()
    assert [secret for secret in secrets_of_the_call() if secret.lower() in text.lower()] == []
    assert "Google Ads" not in text  # no sources or keywords either
    assert f"{settings.PUBLIC_BASE_URL}/reports/" in text
