"""Email alerts for calls, texts and forms, following the notification rules."""

from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import pytest
from django.core import mail

from accounts.models import Account, Company, User
from integrations import tasks
from integrations.emails import (
    call_notifications_send,
    form_submission_notifications_send,
    text_message_notifications_send,
)
from integrations.models import Notification, NotificationEmail
from integrations.tests.conftest import (
    complete_call,
    make_call,
    make_conversation,
    make_form_submission,
    make_text,
)
from telephony import signals
from telephony.models import Call
from tracking import signals as tracking_signals

pytestmark = pytest.mark.django_db


def rule(account: Account, **values: Any) -> Notification:
    values.setdefault("email", "front-desk@example.com")
    return Notification.objects.create(account=account, **values)


def recipients() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


@pytest.fixture
def calls(tracker):
    """One finished call of each kind."""
    return {
        "answered": complete_call(make_call(tracker, first_call=False)),
        "first": complete_call(make_call(tracker, first_call=True)),
        "missed": complete_call(make_call(tracker, first_call=False), answered=False, duration=0),
        "voicemail": complete_call(make_call(tracker, first_call=False), answered=False, voicemail=True),
    }


@pytest.mark.parametrize(
    ("alert_type", "alerted"),
    [
        ("all", {"answered", "first", "missed", "voicemail"}),
        ("first_call", {"first"}),
        ("missed_and_vm", {"missed", "voicemail"}),
        ("vm_only", {"voicemail"}),
    ],
)
def test_alert_types(account, company, calls, alert_type, alerted):
    rule(account, company=company, alert_type=alert_type)
    sent = {kind for kind, call in calls.items() if call_notifications_send(call=call)}
    assert sent == alerted


def test_the_email_describes_the_call(account, company, tracker):
    rule(account, company=company)
    call = complete_call(make_call(tracker), answered=False, voicemail=True, transcription="Please call me back")
    call_notifications_send(call=call)
    (message,) = mail.outbox
    assert message.subject == "Voicemail from Kaylah Mills – Alice Plumbing"
    assert "(214) 865-4559" in message.body and "Google Ads" in message.body
    assert "Please call me back" in message.body and call.public_id in message.body
    assert "EST" in message.body or "EDT" in message.body


def test_company_tracker_and_agent_scopes(account, company, tracker, admin_user):
    other_company = Company.objects.create(account=account, name="Other")
    agent = User.objects.create_user(email="agent@example.com", account=account, role="reporting")
    rule(account, email="everything@example.com")
    rule(account, email="this-company@example.com", company=company)
    rule(account, email="other-company@example.com", company=other_company)
    rule(account, email="this-tracker@example.com", tracker_public_id=tracker.public_id)
    rule(account, email="other-tracker@example.com", tracker_public_id="TRKnotthisone")
    rule(account, email="agent-calls@example.com", agent=agent)
    call_notifications_send(call=complete_call(make_call(tracker)))
    assert recipients() == ["everything@example.com", "this-company@example.com", "this-tracker@example.com"]
    mail.outbox.clear()
    call_notifications_send(call=complete_call(make_call(tracker, agent=agent)))
    assert "agent-calls@example.com" in recipients()


def test_only_email_rules_for_calls_are_sent(account, company, tracker):
    rule(account, email="push-only@example.com", send_email=False, send_push=True)
    rule(account, email="sms-only@example.com", call_enabled=False, sms_enabled=True)
    assert call_notifications_send(call=complete_call(make_call(tracker))) == 0


def test_users_get_alerts_only_for_companies_they_can_see(account, company, tracker, admin_user):
    reporter = User.objects.create_user(email="reporter@example.com", account=account, role="reporting")
    rule(account, email="", user=admin_user)
    rule(account, email="", user=reporter)
    call_notifications_send(call=complete_call(make_call(tracker)))
    assert recipients() == ["alice@example.com"]
    reporter.companies.add(company)
    call_notifications_send(call=complete_call(make_call(tracker)))
    assert recipients() == ["alice@example.com", "alice@example.com", "reporter@example.com"]


def test_other_accounts_rules_never_fire(account, other_account, company, tracker):
    rule(other_account, email="bob@example.com")
    assert call_notifications_send(call=complete_call(make_call(tracker))) == 0


def test_spam_and_outbound_calls_are_not_alerted(account, company, tracker):
    rule(account)
    assert call_notifications_send(call=complete_call(make_call(tracker, spam=True))) == 0
    assert call_notifications_send(call=complete_call(make_call(tracker, direction=Call.Direction.OUTBOUND))) == 0


def test_an_alert_is_sent_once_per_rule_and_call(account, company, tracker):
    rule(account)
    call = complete_call(make_call(tracker))
    assert call_notifications_send(call=call) == 1
    assert call_notifications_send(call=call) == 0
    assert len(mail.outbox) == 1 and NotificationEmail.objects.count() == 1


def test_a_failed_send_leaves_no_mark_so_the_retry_sends(account, company, tracker):
    rule(account)
    call = complete_call(make_call(tracker))
    with mock.patch("integrations.emails.send_mail", side_effect=OSError("smtp down")), pytest.raises(OSError):
        call_notifications_send(call=call)
    assert not NotificationEmail.objects.exists()
    assert call_notifications_send(call=call) == 1


def test_incoming_texts_alert_sms_rules(account, company, tracker):
    rule(account, email="texts@example.com", sms_enabled=True)
    rule(account, email="calls@example.com", sms_enabled=False)
    conversation = make_conversation(tracker)
    assert text_message_notifications_send(message=make_text(conversation)) == 1
    assert text_message_notifications_send(message=make_text(conversation, direction="outgoing")) == 0
    assert recipients() == ["texts@example.com"]
    assert "CallRail is the best!" in mail.outbox[0].body


def test_forms_alert_lead_rules(account, company):
    rule(account, email="all@example.com", alert_type="all")
    rule(account, email="first@example.com", alert_type="first_call")
    rule(account, email="missed@example.com", alert_type="missed_and_vm")
    form_submission_notifications_send(submission=make_form_submission(company, first_form=False))
    assert recipients() == ["all@example.com"]
    mail.outbox.clear()
    second = make_form_submission(company, first_form=True, session=None)
    form_submission_notifications_send(submission=second)
    assert recipients() == ["all@example.com", "first@example.com"]
    assert "John Q. Customer" in mail.outbox[0].body


def test_signals_enqueue_alerts_after_commit(account, company, tracker, django_capture_on_commit_callbacks):
    rule(account, sms_enabled=True)
    with (
        mock.patch("integrations.tasks.call_notifications_send.apply_async") as call_task,
        mock.patch("integrations.tasks.text_message_notifications_send.apply_async") as text_task,
        mock.patch("integrations.tasks.form_submission_notifications_send.apply_async") as form_task,
        django_capture_on_commit_callbacks(execute=True),
    ):
        call = complete_call(make_call(tracker))
        signals.call_completed.send(sender=None, call=call)
        message = make_text(make_conversation(tracker))
        signals.text_message_received.send(sender=None, message=message)
        submission = make_form_submission(company)
        tracking_signals.form_submitted.send(sender=None, submission=submission)
        assert not call_task.called
    call_task.assert_called_once_with((call.pk,), retry=False)
    text_task.assert_called_once_with((message.pk,), retry=False)
    form_task.assert_called_once_with((submission.pk,), retry=False)


def test_the_tasks_send_the_alerts(account, company, tracker):
    rule(account, sms_enabled=True)
    call = complete_call(make_call(tracker))
    tasks.call_notifications_send(call.pk)
    tasks.text_message_notifications_send(make_text(make_conversation(tracker)).pk)
    tasks.form_submission_notifications_send(make_form_submission(company).pk)
    assert len(mail.outbox) == 3


def test_a_call_alert_links_the_recording_with_an_expiring_signed_link(account, company, tracker, client):
    rule(account, company=company, alert_type="all")
    call = complete_call(make_call(tracker), recording_url="https://api.twilio.com/2010-04-01/Recordings/RE1")
    call_notifications_send(call=call)
    body = mail.outbox[0].body
    line = next(line for line in body.splitlines() if line.startswith("Recording:"))
    link = line.split()[-1]
    assert f"/calls/{call.public_id}/recording/redirect?access_key=" in link
    assert "&expires=" in link
    assert "/telephony/recordings/" not in body
    parts = urlsplit(link)
    assert client.get(f"{parts.path}?{parts.query}").status_code == 200
