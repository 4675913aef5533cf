"""Email alerts (the v3 notification objects) and scheduled summary emails.

Alerts: a finished inbound call, an incoming text or a captured form is matched
against every notification rule of the account (company / tracker / agent
scope, ``alert_type``, ``call_enabled`` / ``sms_enabled``) and each matching
rule with ``send_email`` gets one email, at most once per rule and item.
Desktop and push alerts have no channel in a self-hosted install and are not sent.

Summary emails go out every morning (daily), on Mondays (weekly) and on the 1st
(monthly), at ``SUMMARY_SEND_HOUR`` in the company's time zone (the account's for
account-wide summaries), covering the day, week or month that just ended.
"""

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Account, Company, User
from accounts.phone import formatted
from callrail.deferred.services import task_defer, task_publish
from integrations.models import Notification, NotificationEmail, SummaryEmail
from telephony import signals as telephony_signals
from telephony.models import Call, TextMessage
from telephony.recording_links import recording_audio_url
from tracking import signals as tracking_signals
from tracking.models import FormSubmission

logger = logging.getLogger(__name__)

AlertType = Notification.AlertType

# Local hour at which summary emails leave ("every morning").
SUMMARY_SEND_HOUR = 6
SUMMARY_TOP_LIMIT = 5
SUMMARY_CALL_LOG_LIMIT = 100


# --- alerts ----------------------------------------------------------------------------------


def _recipient(notification: Notification, company: Company) -> str | None:
    """Where the rule's email goes, if the person may see this company's data."""
    user = notification.user
    if user is not None:
        if not user.is_active or user.account_id != company.account_id:
            return None
        if not user.is_admin and not user.companies.filter(pk=company.pk).exists():
            return None
        return user.email
    return notification.email or None


def _rules(account_id: int, company: Company, tracker_public_id: str | None) -> QuerySet[Notification]:
    rules = Notification.objects.filter(account_id=account_id, send_email=True).filter(
        Q(company__isnull=True) | Q(company=company)
    )
    scope = Q(tracker_public_id="")
    if tracker_public_id:
        scope |= Q(tracker_public_id=tracker_public_id)
    return rules.filter(scope).select_related("user", "agent").order_by("id")


def _send_once(*, notification: Notification, subject_id: str, recipient: str, subject: str, body: str) -> bool:
    """Send unless this rule already emailed about this item. A failed send leaves no mark, so a retry sends."""
    with transaction.atomic():
        _, created = NotificationEmail.objects.get_or_create(
            notification=notification,
            subject_id=subject_id,
            defaults={"account_id": notification.account_id, "recipient": recipient},
        )
        if not created:
            return False
        send_mail(subject=subject, message=body, from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=[recipient])
    return True


def _email_each(rules: Iterable[Notification], *, company: Company, subject_id: str, subject: str, body: str) -> int:
    """Email each matching rule's recipient about one item (once per rule). Returns emails sent."""
    sent = 0
    for notification in rules:
        recipient = _recipient(notification, company)
        if recipient and _send_once(
            notification=notification, subject_id=subject_id, recipient=recipient, subject=subject, body=body
        ):
            sent += 1
    return sent


def _hipaa(account_id: int) -> bool:
    return Account.objects.filter(pk=account_id, hipaa_account=True).exists()


def _sign_in_notice(what: str, company: Company, path: str) -> tuple[str, str]:
    """Subject and body of a HIPAA account's alert: that something happened and where to
    sign in, and nothing about the caller (no name, number, recording, transcription or form)."""
    link = f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}"
    subject = f"{what.capitalize()} for {company.name}"
    body = f"There is {what} for {company.name}. Sign in to see it:\n\n{link}\n"
    return subject, body


def _local(moment: datetime, time_zone: str) -> str:
    return timezone.localtime(moment, ZoneInfo(time_zone)).strftime("%b %d, %Y %I:%M %p %Z")


def _duration(seconds: int | None) -> str:
    if not seconds:
        return "0s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}m {rest}s" if minutes else f"{rest}s"


def call_alert_matches(notification: Notification, call: Call) -> bool:
    if not notification.call_enabled:
        return False
    if notification.agent_id and notification.agent_id != call.agent_id:
        return False
    alert_type = notification.alert_type
    if alert_type == AlertType.FIRST_CALL:
        return call.first_call
    if alert_type == AlertType.MISSED_AND_VM:
        return call.voicemail or not call.answered
    if alert_type == AlertType.VM_ONLY:
        return call.voicemail
    if alert_type == AlertType.ANSWERED:
        return bool(call.answered) and not call.voicemail
    return True


def _call_kind(call: Call) -> str:
    if call.voicemail:
        return "Voicemail"
    if call.answered:
        return "Answered call"
    return "Missed call"


def _alerted(call: Call) -> bool:
    """Outbound and spam calls are never alerted."""
    return call.direction == Call.Direction.INBOUND and not call.spam


def call_notifications_send(*, call: Call) -> int:
    """Email every matching rule about a finished inbound call. Returns emails sent."""
    if not _alerted(call):
        return 0
    company = call.company
    tracker_id = call.tracker.public_id if call.tracker else None
    rules = (rule for rule in _rules(call.account_id, company, tracker_id) if call_alert_matches(rule, call))
    if _hipaa(call.account_id):
        subject, body = _sign_in_notice("a new call", company, f"/calls/{call.public_id}/")
        return _email_each(rules, company=company, subject_id=call.public_id, subject=subject, body=body)
    caller = call.customer_name or formatted(call.customer_phone_number) or "Unknown caller"
    subject = f"{_call_kind(call)} from {caller} – {company.name}"
    lines = [
        f"{_call_kind(call)} for {company.name}",
        "",
        f"Caller:          {caller} ({formatted(call.customer_phone_number) or 'unknown number'})",
        f"Location:        {', '.join(p for p in (call.customer_city, call.customer_state) if p) or 'unknown'}",
        f"Time:            {_local(call.start_time, company.time_zone)}",
        f"Duration:        {_duration(call.duration)}",
        f"Tracking number: {formatted(call.tracking_phone_number)}"
        + (f" ({call.tracker.name})" if call.tracker else ""),
        f"Source:          {call.source_name or call.source or 'unknown'}",
        f"First call:      {'yes' if call.first_call else 'no'}",
    ]
    if call.keywords:
        lines.append(f"Keywords:        {call.keywords}")
    if call.has_recording:
        lines.append(f"Recording:       {recording_audio_url(call.public_id, call.account)}")
    if call.transcription:
        lines += ["", "Transcription:", call.transcription]
    lines += ["", f"Call id: {call.public_id}"]
    body = "\n".join(lines) + "\n"
    return _email_each(rules, company=company, subject_id=call.public_id, subject=subject, body=body)


def text_message_notifications_send(*, message: TextMessage) -> int:
    """Email every ``sms_enabled`` rule about an incoming text."""
    if message.direction != TextMessage.Direction.INCOMING:
        return 0
    conversation = message.conversation
    company = conversation.company
    tracker_id = conversation.current_tracker.public_id if conversation.current_tracker else None
    # Incoming texts have no agent: agent-restricted rules are about that agent's own activity.
    rules = (rule for rule in _rules(message.account_id, company, tracker_id) if rule.sms_enabled and not rule.agent_id)
    if _hipaa(message.account_id):
        subject, body = _sign_in_notice("a new text message", company, "/texts/")
        return _email_each(rules, company=company, subject_id=message.public_id, subject=subject, body=body)
    sender = conversation.customer_name or formatted(conversation.customer_phone_number)
    subject = f"New text message from {sender} – {company.name}"
    body = (
        f"Text message for {company.name}\n\n"
        f"From:            {sender} ({formatted(conversation.customer_phone_number)})\n"
        f"To:              {formatted(conversation.current_tracking_number)}\n"
        f"Time:            {_local(message.created_at, company.time_zone)}\n\n"
        f"{message.content}\n\n"
        f"Conversation id: {conversation.public_id}\n"
    )
    return _email_each(rules, company=company, subject_id=message.public_id, subject=subject, body=body)


def form_submission_notifications_send(*, submission: FormSubmission) -> int:
    """Email call-alert rules about a captured form: a form is a lead like a call.

    ``all`` rules get every form, ``first_call`` rules a visitor's first form;
    missed/voicemail rules do not apply to forms.
    """
    company = submission.company
    session = submission.session if submission.session_id else None
    tracker_id = session.tracker.public_id if session and session.tracker else None
    rules = (
        rule
        for rule in _rules(submission.account_id, company, tracker_id)
        if rule.call_enabled
        and not rule.agent_id
        and (rule.alert_type == AlertType.ALL or (rule.alert_type == AlertType.FIRST_CALL and submission.first_form))
    )
    if _hipaa(submission.account_id):
        subject, body = _sign_in_notice("a new form submission", company, "/forms/")
        return _email_each(rules, company=company, subject_id=submission.public_id, subject=subject, body=body)
    who = submission.customer_name or submission.customer_email or formatted(submission.customer_phone_number) or ""
    subject = f"New form submission{' from ' + who if who else ''} – {company.name}"
    fields = "\n".join(f"  {name}: {value}" for name, value in (submission.form_data or {}).items())
    body = (
        f"Form submission for {company.name}\n\n"
        f"Page:            {submission.form_url}\n"
        f"Time:            {_local(submission.submitted_at, company.time_zone)}\n"
        f"Source:          {submission.source or 'unknown'}\n"
        f"First form:      {'yes' if submission.first_form else 'no'}\n\n"
        f"Fields:\n{fields}\n\n"
        f"Form submission id: {submission.public_id}\n"
    )
    return _email_each(rules, company=company, subject_id=submission.public_id, subject=subject, body=body)


# --- summary emails --------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    frequency: str
    start: date  # first local day covered
    end: date  # day after the last local day covered
    send_at: datetime  # the scheduled moment this period's email was due

    @property
    def key(self) -> str:
        return self.start.isoformat()

    @property
    def label(self) -> str:
        if self.frequency == "daily":
            return self.start.strftime("%A, %B %d, %Y")
        if self.frequency == "weekly":
            return f"week of {self.start.strftime('%B %d, %Y')}"
        return self.start.strftime("%B %Y")


def summary_time_zone(summary: SummaryEmail) -> str:
    return summary.company.time_zone if summary.company else summary.account.time_zone


def summary_period(frequency: str, now: datetime, time_zone: str) -> Period | None:
    """The latest period whose scheduled send moment is at or before ``now``."""
    zone = ZoneInfo(time_zone)
    local = timezone.localtime(now, zone)
    send_day = local.date() if local.hour >= SUMMARY_SEND_HOUR else local.date() - timedelta(days=1)
    if frequency == "daily":
        start, end = send_day - timedelta(days=1), send_day
    elif frequency == "weekly":
        send_day -= timedelta(days=send_day.weekday())  # back to Monday
        start, end = send_day - timedelta(days=7), send_day
    elif frequency == "monthly":
        send_day = send_day.replace(day=1)
        start, end = (send_day - timedelta(days=1)).replace(day=1), send_day
    else:
        return None
    send_at = datetime.combine(send_day, time(SUMMARY_SEND_HOUR), tzinfo=zone)
    return Period(frequency=frequency, start=start, end=end, send_at=send_at)


def _summary_recipient(summary: SummaryEmail) -> tuple[str, User | None] | None:
    user = summary.user
    if user is not None:
        if not user.is_active:
            return None
        return user.email, user
    return (summary.email, None) if summary.email else None


def _summary_calls(summary: SummaryEmail, user: User | None, period: Period, time_zone: str) -> QuerySet[Call]:
    zone = ZoneInfo(time_zone)
    start = datetime.combine(period.start, time.min, tzinfo=zone)
    end = datetime.combine(period.end, time.min, tzinfo=zone)
    calls = Call.objects.filter(account_id=summary.account_id, spam=False, start_time__gte=start, start_time__lt=end)
    if summary.company_id:
        calls = calls.filter(company_id=summary.company_id)
    elif user is not None and not user.is_admin:
        calls = calls.filter(company__in=user.visible_companies())
    lead_filter = {
        "Lead": Q(lead_status__in=("good_lead", "previously_marked_good_lead")),
        "Not a Lead": Q(lead_status="not_a_lead"),
        "Not Scored": Q(lead_status__isnull=True),
    }.get(summary.lead_status_filter)
    if lead_filter is not None:
        calls = calls.filter(lead_filter)
    return calls.select_related("company").order_by("start_time", "id")


def summary_email_render(
    summary: SummaryEmail, period: Period, *, user: User | None, scope_name: str
) -> tuple[str, str]:
    """Subject and plain-text body of one summary email."""
    time_zone = summary_time_zone(summary)
    title = {"daily": "Daily", "weekly": "Weekly", "monthly": "Monthly"}[period.frequency]
    subject = f"{title} call summary for {scope_name}: {period.label}"
    if summary.account.hipaa_account:
        # No call log, sources or keywords leave a HIPAA account by email: only where to look.
        link = f"{settings.PUBLIC_BASE_URL.rstrip('/')}/reports/"
        return (
            subject,
            f"Your {title.lower()} call summary for {scope_name} ({period.label}) is ready. Sign in to see it:\n\n{link}\n",
        )
    calls = list(_summary_calls(summary, user, period, time_zone))
    config = summary.config or {}
    lines = [f"{title} call summary for {scope_name}", period.label, ""]
    if summary.lead_status_filter and summary.lead_status_filter != "All":
        lines += [f"Calls shown: {summary.lead_status_filter}", ""]
    if config.get("summary_statistics"):
        answered = sum(1 for call in calls if call.answered and not call.voicemail)
        durations = [call.duration for call in calls if call.duration]
        average = round(sum(durations) / len(durations)) if durations else 0
        lines += [
            "Summary",
            f"  Total calls:         {len(calls)}",
            f"  Answered:            {answered}",
            f"  Missed:              {sum(1 for call in calls if not call.answered and not call.voicemail)}",
            f"  Voicemails:          {sum(1 for call in calls if call.voicemail)}",
            f"  First-time callers:  {sum(1 for call in calls if call.first_call)}",
            f"  Leads:               {sum(1 for call in calls if call.lead_status == 'good_lead')}",
            f"  Average duration:    {_duration(average)}",
            "",
        ]
    if config.get("top_sources"):
        sources = Counter(call.source_name or call.source or "Unknown" for call in calls)
        lines.append("Top sources")
        lines += [f"  {count:>5}  {name}" for name, count in sources.most_common(SUMMARY_TOP_LIMIT)] or ["  (none)"]
        lines.append("")
    if config.get("top_keywords"):
        keywords = Counter(call.keywords for call in calls if call.keywords)
        lines.append("Top keywords")
        lines += [f"  {count:>5}  {name}" for name, count in keywords.most_common(SUMMARY_TOP_LIMIT)] or ["  (none)"]
        lines.append("")
    if config.get("call_log"):
        lines.append("Call log")
        for call in calls[:SUMMARY_CALL_LOG_LIMIT]:
            who = call.customer_name or formatted(call.customer_phone_number)
            lines.append(
                f"  {_local(call.start_time, time_zone)}  {who}  {_call_kind(call)}  "
                f"{_duration(call.duration)}  {call.source_name or call.source or ''}".rstrip()
            )
        if len(calls) > SUMMARY_CALL_LOG_LIMIT:
            lines.append(f"  … and {len(calls) - SUMMARY_CALL_LOG_LIMIT} more")
        if not calls:
            lines.append("  (no calls)")
        lines.append("")
    return subject, "\n".join(lines)


def summary_email_send(*, summary: SummaryEmail, frequency: str, now: datetime | None = None) -> bool:
    """Send one subscription's email for the period just ended, unless already sent. Returns True if sent."""
    now = now or timezone.now()
    with transaction.atomic():
        # The row lock serialises concurrent beat runs: the second one sees the period recorded.
        locked = (
            SummaryEmail.objects.select_for_update(of=("self",))
            .select_related("company", "account", "user")
            .filter(pk=summary.pk)
            .first()
        )
        if locked is None or frequency not in (locked.frequency or []):
            return False
        period = summary_period(frequency, now, summary_time_zone(locked))
        if period is None or locked.created_at > period.send_at:
            # Subscribed after this period's send moment: the first email is the next one.
            return False
        if (locked.last_sent_at or {}).get(frequency) == period.key:
            return False
        target = _summary_recipient(locked)
        if target is None:
            return False
        recipient, user = target
        scope: Company | Account = locked.company or locked.account
        subject, body = summary_email_render(locked, period, user=user, scope_name=scope.name)
        send_mail(subject=subject, message=body, from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=[recipient])
        locked.last_sent_at = {**(locked.last_sent_at or {}), frequency: period.key}
        locked.save(update_fields=["last_sent_at", "updated_at"])
    return True


def summary_emails_send(*, now: datetime | None = None) -> int:
    """Send every summary email that is due (run hourly by beat). Returns emails sent."""
    now = now or timezone.now()
    sent = 0
    for summary in SummaryEmail.objects.select_related("company", "account").order_by("id").iterator():
        for frequency in summary.frequency or []:
            try:
                period = summary_period(frequency, now, summary_time_zone(summary))
                if period is None or (summary.last_sent_at or {}).get(frequency) == period.key:
                    continue
                sent += summary_email_send(summary=summary, frequency=frequency, now=now)
            except Exception:
                # One bad address or time zone must not stop everyone else's summaries.
                logger.exception("summary email %s (%s) not sent", summary.public_id, frequency)
    return sent


# --- signal receivers ------------------------------------------------------------------------


def _enqueue_after_commit(task_name: str, pk: int) -> None:
    # Imported here: the tasks module imports this one.
    from integrations import tasks

    def enqueue() -> None:
        task = getattr(tasks, task_name)
        try:
            task_publish(task, pk)
        except Exception as exc:
            # Kept in the database for the sweeper: an alert goes out late, never lost.
            task_defer(task, pk, error=exc)

    # robust: an unreachable broker must not turn a recorded call into an error.
    transaction.on_commit(enqueue, robust=True)


def on_call_completed(sender: object, *, call: Call, **kwargs: object) -> None:
    # No task (nor broker round trip) for a call that is never alerted.
    if _alerted(call):
        _enqueue_after_commit("call_notifications_send", call.pk)


def on_text_message_received(sender: object, *, message: TextMessage, **kwargs: object) -> None:
    _enqueue_after_commit("text_message_notifications_send", message.pk)


def on_form_submitted(sender: object, *, submission: FormSubmission, **kwargs: object) -> None:
    _enqueue_after_commit("form_submission_notifications_send", submission.pk)


def connect() -> None:
    telephony_signals.call_completed.connect(on_call_completed, dispatch_uid="notifications.call_completed")
    telephony_signals.text_message_received.connect(
        on_text_message_received, dispatch_uid="notifications.text_received"
    )
    tracking_signals.form_submitted.connect(on_form_submitted, dispatch_uid="notifications.form_submitted")
