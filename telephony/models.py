"""Calls, text messages and verified caller ids: what happened on the phone network."""

import secrets
import string

from django.db import models
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.utils import timezone

from accounts.fields import NumericIdField, PublicIdField, TimeStampedModel
from accounts.models import Account, AccountScopedQuerySet, ApiKey, Company, User
from tracking.models import FormSubmission, Person, Tracker, TrackingNumber, VisitorSession


class CallQuerySet(AccountScopedQuerySet):
    def not_spam(self) -> "CallQuerySet":
        """Calls that count: spam stays out of logs, summaries and reports."""
        return self.filter(spam=False)

    def from_caller(self, *, company_id: int, customer_phone_number: str) -> "CallQuerySet":
        return self.filter(company_id=company_id, customer_phone_number=customer_phone_number)

    def with_total_calls(self) -> "CallQuerySet":
        """Annotate ``total_calls``: every non-spam call from the same caller to the same company."""
        totals = (
            Call.objects.filter(
                company_id=OuterRef("company_id"),
                customer_phone_number=OuterRef("customer_phone_number"),
                spam=False,
            )
            .order_by()
            .values("company_id")
            .annotate(n=Count("id"))
            .values("n")
        )
        return self.annotate(total_calls=Subquery(totals))


class Call(TimeStampedModel):
    """One phone call to (inbound) or from (outbound) a tracking number.

    Attribution copies the visit's first-touch data onto the call when it
    starts, so later changes to the session never rewrite history.
    """

    class Direction(models.TextChoices):
        INBOUND = "inbound"
        OUTBOUND = "outbound"

    class Status(models.TextChoices):
        # Twilio's CallStatus values.
        QUEUED = "queued"
        RINGING = "ringing"
        IN_PROGRESS = "in-progress"
        COMPLETED = "completed"
        BUSY = "busy"
        FAILED = "failed"
        NO_ANSWER = "no-answer"
        CANCELED = "canceled"

    class LeadStatus(models.TextChoices):
        GOOD_LEAD = "good_lead"
        NOT_A_LEAD = "not_a_lead"
        PREVIOUSLY_MARKED_GOOD_LEAD = "previously_marked_good_lead"

    public_id = PublicIdField("CAL")
    numeric_id = NumericIdField()
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="calls")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="calls")
    tracker = models.ForeignKey(Tracker, on_delete=models.SET_NULL, null=True, blank=True, related_name="calls")
    tracking_number_ref = models.ForeignKey(
        TrackingNumber, on_delete=models.SET_NULL, null=True, blank=True, related_name="calls"
    )
    session = models.ForeignKey(VisitorSession, on_delete=models.SET_NULL, null=True, blank=True, related_name="calls")
    person = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="calls")
    agent = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="calls")
    # Twilio's CallSid: retries of the same webhook must find this row again.
    call_sid = models.CharField(max_length=64, unique=True, null=True, blank=True)
    direction = models.CharField(max_length=8, choices=Direction.choices, default=Direction.INBOUND)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RINGING)
    start_time = models.DateTimeField(db_index=True)
    duration = models.PositiveIntegerField(null=True, blank=True)  # seconds, null while live
    answered = models.BooleanField(null=True, blank=True)
    voicemail = models.BooleanField(default=False)
    tracking_phone_number = models.CharField(max_length=20)  # E.164
    business_phone_number = models.CharField(max_length=20, blank=True, default="")
    customer_phone_number = models.CharField(max_length=20, db_index=True)
    customer_name = models.CharField(max_length=255, blank=True, default="")
    customer_city = models.CharField(max_length=100, blank=True, default="")
    customer_state = models.CharField(max_length=50, blank=True, default="")
    customer_country = models.CharField(max_length=50, blank=True, default="")
    customer_zip = models.CharField(max_length=20, blank=True, default="")
    first_call = models.BooleanField(default=True)
    prior_calls = models.PositiveIntegerField(default=0)
    # Recording as the carrier has it; served to clients through our own URL.
    recording_sid = models.CharField(max_length=64, blank=True, default="")
    recording_url = models.URLField(max_length=500, blank=True, default="")
    recording_duration = models.PositiveIntegerField(null=True, blank=True)
    transcription = models.TextField(blank=True, default="")
    # Attribution, copied from the visitor session (first touch) at call time.
    source = models.CharField(max_length=64, blank=True, default="")
    source_name = models.CharField(max_length=255, blank=True, default="")
    medium = models.CharField(max_length=64, blank=True, default="")
    campaign = models.CharField(max_length=255, blank=True, default="")
    keywords = models.CharField(max_length=255, blank=True, default="")
    landing_page_url = models.TextField(blank=True, default="")
    referring_url = models.TextField(blank=True, default="")
    last_requested_url = models.TextField(blank=True, default="")
    utm_source = models.CharField(max_length=255, blank=True, default="")
    utm_medium = models.CharField(max_length=255, blank=True, default="")
    utm_campaign = models.CharField(max_length=255, blank=True, default="")
    utm_term = models.CharField(max_length=255, blank=True, default="")
    utm_content = models.CharField(max_length=255, blank=True, default="")
    gclid = models.CharField(max_length=255, blank=True, default="")
    fbclid = models.CharField(max_length=255, blank=True, default="")
    msclkid = models.CharField(max_length=255, blank=True, default="")
    device_type = models.CharField(max_length=8, blank=True, default="")
    cookies = models.JSONField(default=dict, blank=True)
    # Marketer annotations (v3 call update).
    lead_status = models.CharField(max_length=32, choices=LeadStatus.choices, null=True, blank=True)
    value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    note = models.TextField(blank=True, default="")
    spam = models.BooleanField(default=False)
    tags = models.ManyToManyField("accounts.Tag", blank=True, related_name="calls")
    # The tel: link or call button clicks this call followed (tracking.clicks).
    click_events = models.ManyToManyField("tracking.ClickEvent", blank=True, related_name="calls")
    # Digits pressed in menus: [{"name": step name, "value": digits}].
    keypad_entries = models.JSONField(default=list, blank=True)
    # Call-flow progress, for multi-request flows (menus, timeouts).
    flow_state = models.JSONField(default=dict, blank=True)

    objects = CallQuerySet.as_manager()

    class Meta:
        ordering = ("-start_time", "-id")
        indexes = [
            # The call log and the reports read calls that are not spam by time, and lists
            # page by (start_time, id) keyset within an account or a company. Spam never
            # lists, so it stays out of them; and a page asked for by number alone finds
            # where it starts in an index-only scan (api/v3/pagination.py, page_start).
            models.Index(fields=("account", "-start_time", "-id"), condition=Q(spam=False), name="call_account_log"),
            models.Index(fields=("company", "-start_time", "-id"), condition=Q(spam=False), name="call_company_log"),
            models.Index(fields=("company", "customer_phone_number"), name="call_company_customer"),
            # The reports (the API's summaries and time series, the Overview and Reports
            # pages) add up a few columns of every call of a period: read from here in an
            # index-only scan, not from the wide rows. Source is the grouping both name first.
            models.Index(
                fields=("account", "start_time"),
                include=("id", "company", "answered", "first_call", "lead_status", "duration", "value", "source"),
                condition=Q(spam=False),
                name="call_account_report",
            ),
        ]

    def __str__(self) -> str:
        return self.public_id

    @property
    def is_live(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RINGING, self.Status.IN_PROGRESS)

    @property
    def call_type(self) -> str:
        """CallRail's ``call_type``. ``abandonded`` keeps the reference's spelling (its
        only documented value): the caller hung up before any phone rang (in a menu,
        during the greeting) or while it was still ringing."""
        if self.direction == self.Direction.OUTBOUND:
            return "outbound"
        if self.is_live:
            return "in_progress"
        if self.voicemail:
            return "voicemail_transcription" if self.transcription else "voicemail"
        if self.answered:
            return "answered"
        if self.status == self.Status.CANCELED or not self.flow_state.get("dialed"):
            return "abandonded"
        return "missed"

    @property
    def recording_sids(self) -> list[str]:
        """Every recording the carrier holds for this call (the one shown, and any other)."""
        sids = [self.recording_sid] if self.recording_sid else []
        for sid in (self.flow_state or {}).get("recording_sids", []):
            if sid and sid not in sids:
                sids.append(sid)
        return sids

    @property
    def has_recording(self) -> bool:
        """The carrier holds a recording (or voicemail) of this call, served through our own
        signed links (``telephony.recording_links``)."""
        return bool(self.recording_url or self.recording_sid)


CONVERSATION_ID_ALPHABET = string.ascii_letters + string.digits


def new_conversation_id() -> str:
    """CallRail's 5-character, case-sensitive conversation ids (``KZaGR``)."""
    return "".join(secrets.choice(CONVERSATION_ID_ALPHABET) for _ in range(5))


class TextConversationQuerySet(AccountScopedQuerySet):
    def with_good_lead(self) -> "TextConversationQuerySet":
        """Annotate what ``has_good_lead`` answers, for a page of conversations in one query."""
        called = Call.objects.filter(
            company_id=OuterRef("company_id"),
            customer_phone_number=OuterRef("customer_phone_number"),
            lead_status=Call.LeadStatus.GOOD_LEAD,
        )
        filled = FormSubmission.objects.filter(
            person_id=OuterRef("person_id"), lead_status=FormSubmission.LeadStatus.GOOD_LEAD
        )
        return self.annotate(_good_lead=Exists(called) | Exists(filled))


class TextConversation(TimeStampedModel):
    """An SMS thread between one customer number and a company's tracking number."""

    class State(models.TextChoices):
        ACTIVE = "active"
        ARCHIVED = "archived"

    # CallRail conversation ids are 5-character strings.
    public_id = models.CharField(max_length=12, unique=True, default=new_conversation_id)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="text_conversations")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="text_conversations")
    person = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    initial_tracker = models.ForeignKey(Tracker, on_delete=models.SET_NULL, null=True, related_name="+")
    current_tracker = models.ForeignKey(Tracker, on_delete=models.SET_NULL, null=True, related_name="+")
    initial_tracking_number = models.CharField(max_length=20)
    current_tracking_number = models.CharField(max_length=20)
    customer_phone_number = models.CharField(max_length=20)
    customer_name = models.CharField(max_length=255, blank=True, default="")
    state = models.CharField(max_length=8, choices=State.choices, default=State.ACTIVE)
    last_message_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # The customer texted STOP (or similar): no further outbound messages.
    opted_out = models.BooleanField(default=False)
    # The marketer's lead fields on the thread, as on a call (the SMS thread update).
    note = models.TextField(blank=True, default="")
    value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    lead_status = models.CharField(max_length=32, choices=Call.LeadStatus.choices, null=True, blank=True)
    tags = models.ManyToManyField("accounts.Tag", blank=True, related_name="text_conversations")

    objects = TextConversationQuerySet.as_manager()

    class Meta:
        ordering = ("-last_message_at",)
        constraints = [
            models.UniqueConstraint(
                fields=("company", "customer_phone_number"), name="text_conversation_unique_customer"
            ),
        ]

    def __str__(self) -> str:
        return self.public_id

    def has_good_lead(self) -> bool:
        """Whether the customer was ever scored a good lead, on a call to this company or on a
        form: the text message endpoints and webhooks show it as the conversation's lead status."""
        marked = getattr(self, "_good_lead", None)  # set by ``with_good_lead``
        if marked is not None:
            return marked
        calls = Call.objects.filter(
            company_id=self.company_id,
            customer_phone_number=self.customer_phone_number,
            lead_status=Call.LeadStatus.GOOD_LEAD,
        )
        if calls.exists():
            return True
        if self.person_id:
            return FormSubmission.objects.filter(
                person_id=self.person_id, lead_status=FormSubmission.LeadStatus.GOOD_LEAD
            ).exists()
        return False


class TextMessage(TimeStampedModel):
    """One SMS in a conversation."""

    class Direction(models.TextChoices):
        INCOMING = "incoming"
        OUTGOING = "outgoing"

    public_id = PublicIdField("SCI")
    numeric_id = NumericIdField()
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(TextConversation, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=8, choices=Direction.choices)
    content = models.TextField()
    # sent|failed for outgoing, null for incoming (CallRail's `status`).
    status = models.CharField(max_length=16, null=True, blank=True)
    message_sid = models.CharField(max_length=64, unique=True, null=True, blank=True)
    user = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return self.public_id


class OutboundCallerId(TimeStampedModel):
    """A business phone number verified to be shown as caller id on outbound calls."""

    numeric_id = NumericIdField()
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="caller_ids")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="caller_ids")
    phone_number = models.CharField(max_length=20)
    name = models.CharField(max_length=255)
    verified = models.BooleanField(default=False)
    validation_code = models.CharField(max_length=6, blank=True, default="")

    objects = AccountScopedQuerySet.as_manager()

    class Meta:
        ordering = ("created_at",)

    def __str__(self) -> str:
        return f"{self.name} {self.phone_number}"


class SimulatedCarrierRequest(models.Model):
    """What the simulated carrier would have sent to the phone network.

    With no Twilio credentials the product runs on a simulated carrier (fictional
    NXX-555-01xx numbers); each number bought or released, call placed and text
    sent is written here so the demo, the simulator and the tests can see it.
    """

    class Action(models.TextChoices):
        BUY_NUMBER = "buy_number"
        RELEASE_NUMBER = "release_number"
        PLACE_CALL = "place_call"
        SEND_SMS = "send_sms"
        DELETE_RECORDING = "delete_recording"

    action = models.CharField(max_length=16, choices=Action.choices)
    sid = models.CharField(max_length=64, db_index=True)
    number = models.CharField(max_length=20, blank=True, default="", db_index=True)  # E.164, for numbers
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("id",)

    def __str__(self) -> str:
        return f"{self.action} {self.sid}"


class CallAccess(models.Model):
    """One look at a call's details or recording by someone of a HIPAA account: who (a user,
    through the API key they used), when and from which address. The audit trail outlives
    the call (``call_public_id`` stays when the call is purged or erased)."""

    class What(models.TextChoices):
        CALL = "call"
        RECORDING = "recording"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    call = models.ForeignKey(Call, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    call_public_id = models.CharField(max_length=40)
    user = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    api_key = models.ForeignKey(ApiKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    what = models.CharField(max_length=16, choices=What.choices)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AccountScopedQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name_plural = "call accesses"
        indexes = [models.Index(fields=("account", "-created_at"), name="call_access_account")]

    def __str__(self) -> str:
        return f"{self.what} {self.call_public_id} by {self.user_id or '-'}"
