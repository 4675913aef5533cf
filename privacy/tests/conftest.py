"""Rows of every kind a person leaves behind, made at a chosen moment."""

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from accounts.models import Account, Company
from integrations.models import Integration, Notification, NotificationEmail, WebhookDelivery, WebhookEvent
from telephony.models import Call, TextConversation, TextMessage
from tracking.models import FormSubmission, PageView, Person, VisitorSession


def days_ago(days: float, now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=days)


def make_person(company: Company, *, at: datetime, **values: Any) -> Person:
    made = Person.objects.create(account=company.account, company=company, **values)
    Person.objects.filter(pk=made.pk).update(created_at=at, updated_at=at)
    made.refresh_from_db()
    return made


def make_session(company: Company, *, at: datetime, page_views: int = 2, **values: Any) -> VisitorSession:
    values.setdefault("visitor_id", f"visitor-{at.timestamp()}-{Person.objects.count()}")
    values.setdefault("session_key", f"session-{at.timestamp()}-{VisitorSession.objects.count()}")
    made = VisitorSession.objects.create(account=company.account, company=company, **values)
    VisitorSession.objects.filter(pk=made.pk).update(created_at=at, last_seen_at=at)
    for n in range(page_views):
        PageView.objects.create(
            account=company.account, session=made, page_url=f"https://example.com/{n}", created_at=at
        )
    made.refresh_from_db()
    return made


def make_call(company: Company, *, at: datetime, **values: Any) -> Call:
    values.setdefault("customer_phone_number", "+13035550100")
    values.setdefault("tracking_phone_number", "+14705550101")
    values.setdefault("status", Call.Status.COMPLETED)
    values.setdefault("duration", 60)
    values.setdefault("answered", True)
    values.setdefault("source", "google_paid")
    made = Call.objects.create(account=company.account, company=company, start_time=at, **values)
    Call.objects.filter(pk=made.pk).update(created_at=at, updated_at=at)
    made.refresh_from_db()
    return made


def make_text(
    company: Company, *, at: datetime, phone: str, person: Person | None = None, content: str = "Hi"
) -> TextMessage:
    conversation = TextConversation.objects.filter(company=company, customer_phone_number=phone).first()
    if conversation is None:
        conversation = TextConversation.objects.create(
            account=company.account,
            company=company,
            person=person,
            initial_tracking_number="+14705550101",
            current_tracking_number="+14705550101",
            customer_phone_number=phone,
            last_message_at=at,
        )
        TextConversation.objects.filter(pk=conversation.pk).update(created_at=at)
    message = TextMessage.objects.create(
        account=company.account, conversation=conversation, direction=TextMessage.Direction.INCOMING, content=content
    )
    TextMessage.objects.filter(pk=message.pk).update(created_at=at, updated_at=at)
    return message


def make_form(company: Company, *, at: datetime, **values: Any) -> FormSubmission:
    values.setdefault("form_data", {"message": "Please call back"})
    values.setdefault("source", "google_paid")
    made = FormSubmission.objects.create(account=company.account, company=company, submitted_at=at, **values)
    FormSubmission.objects.filter(pk=made.pk).update(created_at=at, updated_at=at)
    return made


def make_webhook_event(company: Company, *, at: datetime, key: str, body: str = "{}") -> WebhookEvent:
    integration = Integration.objects.get_or_create(
        account=company.account, company=company, type=Integration.Type.WEBHOOKS, defaults={"config": {}}
    )[0]
    event = WebhookEvent.objects.create(
        account=company.account,
        company=company,
        integration=integration,
        event=WebhookEvent.Event.POST_CALL,
        url="https://hooks.example.com/calls",
        ordering_key=key,
        body=body,
        state=WebhookEvent.State.DELIVERED,
        retry_until=at + timedelta(hours=6),
        created_at=at,
        finished_at=at,
    )
    WebhookDelivery.objects.create(
        account=company.account,
        company=company,
        webhook_event=event,
        attempt=1,
        url=event.url,
        status_code=200,
        success=True,
        response_body=body,
        created_at=at,
    )
    return event


def make_alert_email(account: Account, *, at: datetime, subject_id: str) -> NotificationEmail:
    notification = Notification.objects.get_or_create(account=account, email="desk@example.com")[0]
    return NotificationEmail.objects.create(
        account=account, notification=notification, subject_id=subject_id, recipient="desk@example.com", created_at=at
    )
