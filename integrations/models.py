"""What the platform sends out when something happens, and its configuration:
integrations (webhook receivers, custom cookie capture) and the triggers that
decide which calls reach them; the webhook outbox and its delivery log; users'
alert rules and summary email subscriptions, and the log of alert emails sent."""

import secrets
import uuid

from django.db import models
from django.utils import timezone

from accounts.fields import NumericIdField, PublicIdField, TimeStampedModel
from accounts.models import Account, AccountScopedQuerySet, Company, User
from telephony.models import Call


class Integration(TimeStampedModel):
    """A company's connection to an outside system (CallRail's integrations).

    ``Webhooks`` keeps the receiver URLs per event in ``config``; ``Custom``
    keeps ``grab_cookies``, the cookie names swap.js attaches to sessions.
    One integration per type per company.
    """

    class Type(models.TextChoices):
        WEBHOOKS = "Webhooks"
        CUSTOM = "Custom"

    class State(models.TextChoices):
        ACTIVE = "active"
        DISABLED = "disabled"
        PENDING = "pending"
        FAILED = "failed"

    numeric_id = NumericIdField()
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="integrations")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="integrations")
    type = models.CharField(max_length=32, choices=Type.choices)
    state = models.CharField(max_length=16, choices=State.choices, default=State.ACTIVE)
    config = models.JSONField(default=dict)

    objects = AccountScopedQuerySet.as_manager()

    class Meta:
        ordering = ("created_at",)
        constraints = [
            models.UniqueConstraint(fields=("company", "type"), name="integration_unique_type_per_company"),
        ]

    def __str__(self) -> str:
        return f"{self.type} ({self.company})"


class IntegrationTrigger(TimeStampedModel):
    """Criteria (ANDed) a call must meet to be sent to an integration.

    The company's default trigger has no integration and applies to every
    integration without a trigger of its own.
    """

    class CallType(models.TextChoices):
        FIRST_CALL = "first_call"
        VOICEMAIL = "vm"
        MISSED_AND_VOICEMAIL = "missed_and_vm"

    numeric_id = NumericIdField()
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="integration_triggers")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="integration_triggers")
    integration = models.OneToOneField(
        Integration, on_delete=models.CASCADE, null=True, blank=True, related_name="trigger"
    )
    tracker_ids = models.JSONField(default=list, blank=True)  # TRK public ids
    call_type = models.CharField(max_length=16, choices=CallType.choices, null=True, blank=True)
    min_duration = models.PositiveIntegerField(null=True, blank=True)
    max_duration = models.PositiveIntegerField(null=True, blank=True)
    lead_status = models.CharField(max_length=16, null=True, blank=True)

    objects = AccountScopedQuerySet.as_manager()

    class Meta:
        ordering = ("created_at",)

    def __str__(self) -> str:
        return f"trigger {self.numeric_id}"


# The ordering key of test events: apart from any real call, text or form, so they never wait on one.
TEST_ORDERING_PREFIX = "test:"


class WebhookEvent(models.Model):
    """One event owed to one receiver URL: the webhook outbox.

    Written in the same transaction as the change that caused it (a call
    starting, a text arriving...), so a crash between the change and the HTTP
    request cannot lose it. Celery delivers it afterwards, retrying on network
    errors and 5xx; ``event_id`` travels in every attempt (``X-Webhook-Id``) so
    receivers can drop duplicates.
    """

    class Event(models.TextChoices):
        PRE_CALL = "pre_call", "Pre-call"
        CALL_ROUTING_COMPLETE = "call_routing_complete", "Call routing complete"
        POST_CALL = "post_call", "Post-call"
        CALL_MODIFIED = "call_modified", "Call modified"
        OUTBOUND_POST_CALL = "outbound_post_call", "Outbound post-call"
        OUTBOUND_CALL_MODIFIED = "outbound_call_modified", "Outbound call modified"
        TEXT_MESSAGE_RECEIVED = "text_message_received", "Text message received"
        TEXT_MESSAGE_SENT = "text_message_sent", "Text message sent"
        FORM_SUBMISSION = "form_submission", "Form submitted"

    class State(models.TextChoices):
        PENDING = "pending"
        # An attempt is in flight; ``locked_until`` bounds it, so a killed worker's row comes back.
        DELIVERING = "delivering"
        DELIVERED = "delivered"
        # Given up: a 4xx/3xx answer, a refused address, or the retry window ran out.
        FAILED = "failed"
        # Not sent: the integration was turned off while the event waited.
        CANCELED = "canceled"

    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="webhook_events")
    event = models.CharField(max_length=32, choices=Event.choices)
    url = models.CharField(max_length=2000)
    # The call, conversation or submission the event is about: events with the same
    # key and URL are delivered one after another, in the order they happened.
    ordering_key = models.CharField(max_length=64)
    # The exact JSON bytes sent (and signed) on every attempt.
    body = models.TextField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    locked_until = models.DateTimeField(null=True, blank=True)
    # After this moment a failed attempt is the last one.
    retry_until = models.DateTimeField()
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = AccountScopedQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [
            # The sweeper's scan: only unfinished rows, by due time.
            models.Index(
                fields=("next_attempt_at",),
                condition=models.Q(state__in=("pending", "delivering")),
                name="webhook_event_due",
            ),
            # "Is an earlier event for this call and URL still owed?"
            models.Index(fields=("ordering_key", "url", "id"), name="webhook_event_ordering"),
            # Consecutive failures of one receiver.
            models.Index(fields=("integration", "url", "finished_at"), name="webhook_event_receiver"),
            models.Index(fields=("account", "-created_at", "-id"), name="webhook_event_account"),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.event_id}"

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.DELIVERED, self.State.FAILED, self.State.CANCELED)

    @property
    def is_test(self) -> bool:
        """A fictional event sent from the dashboard to try a receiver."""
        return self.ordering_key.startswith(TEST_ORDERING_PREFIX)


class WebhookDelivery(models.Model):
    """One attempt to deliver a webhook event: where it went and what came back.

    Receivers' answers are truncated before they are stored.
    """

    numeric_id = NumericIdField()
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    webhook_event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    attempt = models.PositiveIntegerField()
    url = models.CharField(max_length=2000)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    success = models.BooleanField(default=False)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    response_headers = models.JSONField(default=dict, blank=True)
    response_body = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = AccountScopedQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=("account", "-created_at", "-id"), name="webhook_delivery_account")]

    def __str__(self) -> str:
        return f"attempt {self.attempt} of {self.webhook_event_id}"


class Notification(TimeStampedModel):
    """A user's alert rule: which calls or texts trigger an email/desktop/push alert."""

    class AlertType(models.TextChoices):
        ALL = "all"
        FIRST_CALL = "first_call"
        MISSED_AND_VM = "missed_and_vm"
        VM_ONLY = "vm_only"
        # Not in the reference: calls a person answered (an extension, accepted by the API too).
        ANSWERED = "answered"

    numeric_id = NumericIdField()
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="notifications")
    user = models.ForeignKey(User, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications")
    # An email-only recipient (no login).
    email = models.EmailField(blank=True, default="")
    agent = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications")
    # The tracker's public id, not a foreign key: a rule scoped to a deleted tracker stays (and matches nothing).
    tracker_public_id = models.CharField(max_length=40, blank=True, default="")
    call_enabled = models.BooleanField(default=True)
    sms_enabled = models.BooleanField(default=False)
    alert_type = models.CharField(max_length=16, choices=AlertType.choices, default=AlertType.ALL)
    send_desktop = models.BooleanField(default=False)
    send_email = models.BooleanField(default=True)
    send_push = models.BooleanField(default=False)

    objects = AccountScopedQuerySet.as_manager()

    class Meta:
        ordering = ("created_at",)

    def __str__(self) -> str:
        return f"notification {self.numeric_id}"


class SummaryEmail(TimeStampedModel):
    """A scheduled digest (daily/weekly/monthly) of calls for a company or the whole account."""

    public_id = PublicIdField("CSS")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="summary_emails")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, null=True, blank=True, related_name="summary_emails")
    user = models.ForeignKey(User, on_delete=models.CASCADE, null=True, blank=True, related_name="summary_emails")
    email = models.EmailField(blank=True, default="")
    frequency = models.JSONField(default=list)  # subset of daily, weekly, monthly
    config = models.JSONField(default=dict)  # summary_statistics, top_sources, top_keywords, call_log
    lead_status_filter = models.CharField(max_length=16, default="All")
    last_sent_at = models.JSONField(default=dict, blank=True)  # frequency -> ISO time, for idempotent sends

    objects = AccountScopedQuerySet.as_manager()

    class Meta:
        ordering = ("created_at",)

    def __str__(self) -> str:
        return self.public_id


class NotificationEmail(models.Model):
    """An alert email sent for one notification rule and one call, text or form.

    The unique pair makes sending idempotent: a retried task cannot email twice.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="emails")
    # Public id of the call (CAL…), text message (SCI…) or form submission (FOR…).
    subject_id = models.CharField(max_length=40)
    recipient = models.EmailField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-created_at",)
        constraints = [
            models.UniqueConstraint(fields=("notification", "subject_id"), name="notification_email_once"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_id} → {self.recipient}"


def _feed_token() -> str:
    return secrets.token_urlsafe(24)


class ConversionSettings(TimeStampedModel):
    """Which of a company's calls count as conversions, and the ad platforms they are sent to.

    The rule (all ANDed): the call ended, and was answered (``answered_only``), lasted at
    least ``min_duration`` seconds, was the caller's first (``first_time_only``), is a good
    lead (``good_lead_only``) and carries one of ``tags`` (when any). ``value`` is fixed, or
    the call's own value when null. Google Ads reads them from the feed (``feed_token``) or
    gets them uploaded through its API (the ``google_ads_*`` credentials); GA4 through the
    Measurement Protocol (``ga4_*``).
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="conversion_settings")
    enabled = models.BooleanField(default=False)
    min_duration = models.PositiveIntegerField(default=0)
    answered_only = models.BooleanField(default=True)
    first_time_only = models.BooleanField(default=False)
    good_lead_only = models.BooleanField(default=False)
    tags = models.JSONField(default=list, blank=True)  # tag names
    name = models.CharField(max_length=100, default="Phone call")
    value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    # The secret part of the Google Ads feed URL; rotating it revokes the old URL.
    feed_token = models.CharField(max_length=64, unique=True, default=_feed_token)
    google_ads_customer_id = models.CharField(max_length=12, blank=True, default="")  # digits only
    google_ads_login_customer_id = models.CharField(max_length=12, blank=True, default="")  # manager, if any
    google_ads_conversion_action = models.CharField(max_length=32, blank=True, default="")  # its numeric id
    google_ads_developer_token = models.CharField(max_length=100, blank=True, default="")
    google_ads_refresh_token = models.CharField(max_length=512, blank=True, default="")
    ga4_measurement_id = models.CharField(max_length=32, blank=True, default="")
    ga4_api_secret = models.CharField(max_length=100, blank=True, default="")

    objects = AccountScopedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Call conversions ({self.company})"

    @property
    def google_ads_configured(self) -> bool:
        return all(
            (
                self.google_ads_customer_id,
                self.google_ads_conversion_action,
                self.google_ads_developer_token,
                self.google_ads_refresh_token,
            )
        )

    @property
    def ga4_configured(self) -> bool:
        return bool(self.ga4_measurement_id and self.ga4_api_secret)


class CallConversion(models.Model):
    """A call that met its company's conversion rule, recorded once, with what identifies its
    click for the ad platforms. A call that later stops qualifying is not retracted (what was
    sent stays sent); ``no_longer_qualifies_at`` says so."""

    class ClickIdType(models.TextChoices):
        GCLID = "gclid"
        GBRAID = "gbraid"
        WBRAID = "wbraid"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="call_conversions", db_index=False)
    call = models.OneToOneField(Call, on_delete=models.CASCADE, related_name="conversion")
    name = models.CharField(max_length=100)
    # When the conversion happened for the ad platforms: the call's start.
    converted_at = models.DateTimeField()
    value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3)
    click_id = models.CharField(max_length=255, blank=True, default="")
    click_id_type = models.CharField(max_length=8, choices=ClickIdType.choices, blank=True, default="")
    # GA4: the client id of the visitor's _ga cookie, and their GA session id when known.
    ga_client_id = models.CharField(max_length=64, blank=True, default="")
    ga_session_id = models.CharField(max_length=32, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    no_longer_qualifies_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("converted_at",)
        # The feed: a company's conversions of the last 90 days.
        indexes = [models.Index(fields=("company", "converted_at"), name="call_conversion_feed")]

    def __str__(self) -> str:
        return f"{self.name} ({self.call_id})"


class ConversionDelivery(models.Model):
    """The sending of one conversion to one ad platform: the upload log."""

    class Destination(models.TextChoices):
        GOOGLE_ADS = "google_ads"
        GA4 = "ga4"

    class Status(models.TextChoices):
        PENDING = "pending"  # not sent yet, or being retried
        SENT = "sent"  # accepted by the platform
        REJECTED = "rejected"  # refused by the platform (``reason`` says why): not retried
        FAILED = "failed"  # retries exhausted

    conversion = models.ForeignKey(CallConversion, on_delete=models.CASCADE, related_name="deliveries")
    destination = models.CharField(max_length=16, choices=Destination.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    reason = models.TextField(blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("created_at",)
        constraints = [
            models.UniqueConstraint(fields=("conversion", "destination"), name="conversion_delivery_once"),
        ]

    def __str__(self) -> str:
        return f"{self.destination}: {self.status}"
