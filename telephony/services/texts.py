"""Text messages: a marketer texts a customer from a tracking number, a customer texts one
(STOP and its synonyms opt them out), and Twilio reports delivery. Texts with one customer
form a conversation (reference: "Text Messages")."""

import logging
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Account, Company, User
from accounts.phone import to_e164_or_none, us_or_canada_e164
from telephony import signals
from telephony.carrier import CarrierError, get_carrier
from telephony.links import public_url
from telephony.models import TextConversation, TextMessage
from telephony.services.lookups import company_tracking_number, tracking_number_for_call
from telephony.twilio import twilio_param
from tracking.models import Person, TrackingNumber
from tracking.people import person_for_phone

logger = logging.getLogger(__name__)

# Opt-out keywords carriers honour; the reference lists the first five as approved wording.
OPT_OUT_KEYWORDS = ("STOP", "CANCEL", "UNSUBSCRIBE", "QUIT", "END", "STOPALL", "OPTOUT", "REVOKE")
OPT_IN_KEYWORDS = ("START", "UNSTOP", "YES")
OPT_OUT_NOTICE = "Reply STOP to unsubscribe."
TEXT_MAX_LENGTH = 140

_KEYWORD_RE = re.compile(r"\b(" + "|".join(OPT_OUT_KEYWORDS[:5]) + r")\b", re.IGNORECASE)


def _needs_opt_out_notice(content: str) -> bool:
    return not _KEYWORD_RE.search(content)


def _conversation_new(**fields: Any) -> TextConversation:
    # 5-character ids collide rarely (62^5); try again with a fresh one when they do.
    for _ in range(5):
        try:
            with transaction.atomic():
                return TextConversation.objects.create(**fields)
        except IntegrityError:
            existing = TextConversation.objects.filter(
                company=fields["company"], customer_phone_number=fields["customer_phone_number"]
            ).first()
            if existing is not None:
                return existing
    raise IntegrityError("Could not allocate a conversation id.")


def _conversation_start(
    *, company: Company, person: Person | None, number: TrackingNumber, customer: str, at: datetime
) -> TextConversation:
    """The first text between ``customer`` and the company, through ``number``."""
    return _conversation_new(
        account_id=company.account_id,
        company=company,
        person=person,
        initial_tracker=number.tracker,
        current_tracker=number.tracker,
        initial_tracking_number=number.number,
        current_tracking_number=number.number,
        customer_phone_number=customer,
        customer_name=person.name if person else "",
        last_message_at=at,
    )


def _conversation_touch(
    conversation: TextConversation, *, number: TrackingNumber, at: datetime, also: tuple[str, ...] = ()
) -> None:
    """A text went through ``number``: it becomes the conversation's current number."""
    conversation.current_tracker = number.tracker
    conversation.current_tracking_number = number.number
    conversation.last_message_at = at
    conversation.state = TextConversation.State.ACTIVE
    conversation.save(
        update_fields=[*also, "current_tracker", "current_tracking_number", "last_message_at", "state", "updated_at"]
    )


def _content_check(content: Any) -> str:
    if not isinstance(content, str) or not content.strip():
        raise ValidationError("content is required.")
    if len(content) > TEXT_MAX_LENGTH:
        raise ValidationError(f"content must be at most {TEXT_MAX_LENGTH} characters.")
    return content.strip()


def _sending_number(
    *, account: Account, company: Company, conversation: TextConversation | None, tracking_number: str | None
) -> TrackingNumber:
    """The number to text from: the one asked for, else the conversation's current one."""
    if tracking_number in (None, ""):
        if conversation is None:
            raise ValidationError("tracking_number is required to start a conversation with this customer.")
        number_text = conversation.current_tracking_number
    else:
        number_text = us_or_canada_e164(tracking_number, "tracking_number")
    number = company_tracking_number(account=account, company=company, number=number_text)
    if number is None:
        raise ValidationError(f"{number_text} is not an active tracking number of this company.")
    if not number.tracker.sms_enabled:
        raise ValidationError(f"Texting is not enabled on tracking number {number_text}.")
    return number


def _message_create(*, at: datetime | None, **fields: Any) -> TextMessage:
    """A new message; ``at`` places it at a past moment (its ``created_at`` is when it was sent)."""
    message = TextMessage.objects.create(**fields)
    if at is not None:
        # ``created_at`` is filled with the present on insert; a backdated text says when it was.
        TextMessage.objects.filter(pk=message.pk).update(created_at=at, updated_at=at)
        message.created_at = message.updated_at = at
    return message


def _sms_send(*, to: str, number: TrackingNumber, body: str) -> tuple[str, str | None]:
    """Hand the text to the carrier: ("sent", its MessageSid), or ("failed", None)."""
    try:
        sid = get_carrier().send_sms(
            to=to, from_=number.number, body=body, status_callback=public_url("telephony:twilio-sms-status")
        )
    except CarrierError:
        logger.exception("text to %s from %s failed", to, number.number)
        return "failed", None
    return "sent", sid


@transaction.atomic
def text_message_send(
    *,
    account: Account,
    company: Company,
    customer_phone_number: str,
    content: str,
    tracking_number: str | None = None,
    user: User | None = None,
    at: datetime | None = None,
) -> TextConversation:
    """Text a customer from one of the company's SMS-enabled tracking numbers.

    The first text to a lead gets opt-out wording when it has none of STOP, CANCEL,
    UNSUBSCRIBE, QUIT or END (the reference, 2024-09-10). A carrier failure is kept
    as a ``failed`` message. ``at`` is when it was sent (default now)."""
    if company.account_id != account.pk:
        raise ValidationError("company_id does not belong to this account.")
    customer = us_or_canada_e164(customer_phone_number, "customer_phone_number")
    body = _content_check(content)
    conversation = (
        TextConversation.objects.select_for_update()
        .filter(account=account, company=company, customer_phone_number=customer)
        .first()
    )
    number = _sending_number(
        account=account, company=company, conversation=conversation, tracking_number=tracking_number
    )
    if conversation is not None and conversation.opted_out:
        raise ValidationError("This customer has opted out of text messages.")
    now = at or timezone.now()
    person = person_for_phone(account_id=company.account_id, company_id=company.pk, phone_number=customer)
    if conversation is None:
        conversation = _conversation_start(company=company, person=person, number=number, customer=customer, at=now)
    first_to_lead = not conversation.messages.filter(direction=TextMessage.Direction.OUTGOING).exists()
    if first_to_lead and _needs_opt_out_notice(body):
        body = f"{body} {OPT_OUT_NOTICE}"
    status, message_sid = _sms_send(to=customer, number=number, body=body)
    message = _message_create(
        at=at,
        account=account,
        conversation=conversation,
        direction=TextMessage.Direction.OUTGOING,
        content=body,
        status=status,
        message_sid=message_sid,
        user=user,
    )
    _conversation_touch(conversation, number=number, at=now)
    if status == "sent":
        signals.text_message_sent.send(sender=TextMessage, message=message)
    return conversation


def _keyword(body: str) -> str:
    return body.strip().upper().rstrip(".!")


def _opted_out(params: Mapping[str, Any], body: str, current: bool) -> bool:
    """Whether the customer is opted out after this text (Twilio's OptOutType, or the keyword)."""
    keyword = _keyword(body)
    if keyword in OPT_OUT_KEYWORDS or twilio_param(params, "OptOutType").upper() == "STOP":
        return True
    if keyword in OPT_IN_KEYWORDS or twilio_param(params, "OptOutType").upper() == "START":
        return False
    return current


@transaction.atomic
def text_message_receive(*, params: Mapping[str, Any], at: datetime | None = None) -> TextMessage | None:
    """An SMS arrived on a tracking number (``at``, default now). Idempotent on ``MessageSid``.
    STOP and its synonyms opt the customer out of further texts; START opts them back in."""
    sid = twilio_param(params, "MessageSid", "SmsMessageSid", "SmsSid")
    if sid:
        existing = TextMessage.objects.filter(message_sid=sid).first()
        if existing is not None:
            return existing
    number = tracking_number_for_call(twilio_param(params, "To"))
    if number is None:
        return None
    company = number.tracker.company
    raw_from = twilio_param(params, "From")
    customer = to_e164_or_none(raw_from) or raw_from[:20]
    person = None
    if customer.startswith("+"):
        person = person_for_phone(account_id=company.account_id, company_id=company.pk, phone_number=customer)
    now = at or timezone.now()
    conversation = (
        TextConversation.objects.select_for_update().filter(company=company, customer_phone_number=customer).first()
    )
    if conversation is None:
        conversation = _conversation_start(company=company, person=person, number=number, customer=customer, at=now)
    body = twilio_param(params, "Body")
    conversation.opted_out = _opted_out(params, body, conversation.opted_out)
    _conversation_touch(conversation, number=number, at=now, also=("opted_out",))
    message = _message_create(
        at=at,
        account_id=number.tracker.account_id,
        conversation=conversation,
        direction=TextMessage.Direction.INCOMING,
        content=body,
        status=None,
        message_sid=sid or None,
    )
    signals.text_message_received.send(sender=TextMessage, message=message)
    return message


def text_message_status(*, params: Mapping[str, Any]) -> None:
    """Twilio's delivery report for a text we sent."""
    sid = twilio_param(params, "MessageSid", "SmsSid")
    status = twilio_param(params, "MessageStatus", "SmsStatus")
    if not sid:
        return
    if status in ("failed", "undelivered"):
        TextMessage.objects.filter(message_sid=sid).update(status="failed", updated_at=timezone.now())
    elif status in ("sent", "delivered"):
        TextMessage.objects.filter(message_sid=sid).exclude(status="sent").update(
            status="sent", updated_at=timezone.now()
        )
