"""Dynamic number insertion: trackers, their tracking numbers, visitor sessions,
the durable number-assignment log, people (leads) and form submissions."""

import uuid
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.fields import NumericIdField, PublicIdField, TimeStampedModel
from accounts.models import Account, AccountScopedQuerySet, Company


class CallFlow(TimeStampedModel):
    """What happens when a tracking number rings: greeting, menus, dial, voicemail.

    ``definition`` is CallRail's call_flow object: ``{"type": "basic", ...}`` or
    ``{"type": "advanced", "initial_step_id", "steps": [...]}``. Advanced flows
    are shared by uuid (CallRail assigns them to trackers by uuid).
    telephony/ interprets and validates the definition.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="call_flows")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="call_flows")
    name = models.CharField(max_length=255, blank=True)
    definition = models.JSONField(default=dict)

    objects = AccountScopedQuerySet.as_manager()

    class Meta:
        ordering = ("created_at",)

    def __str__(self) -> str:
        return self.name or str(self.uuid)

    @property
    def flow_type(self) -> str:
        return self.definition.get("type", "basic")


class Tracker(TimeStampedModel):
    """A set of tracking numbers shown to a chosen audience.

    A *source* tracker has one number for everyone from a source (Google Ads,
    a billboard); a *session* tracker has a pool of numbers handed out one per
    visitor session, so each call ties back to one visit.
    """

    class Type(models.TextChoices):
        SESSION = "session"
        SOURCE = "source"

    class Status(models.TextChoices):
        ACTIVE = "active"
        DISABLED = "disabled"

    public_id = PublicIdField("TRK")
    numeric_id = NumericIdField()
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="trackers")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="trackers")
    name = models.CharField(max_length=255)
    type = models.CharField(max_length=8, choices=Type.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    disabled_at = models.DateTimeField(null=True, blank=True)
    call_flow = models.ForeignKey(CallFlow, on_delete=models.PROTECT, related_name="trackers")
    # E.164 numbers visitors see on the page and that this tracker replaces.
    swap_targets = models.JSONField(default=list, blank=True)
    whisper_message = models.CharField(max_length=255, blank=True, default="")
    sms_enabled = models.BooleanField(default=False)
    campaign_name = models.CharField(max_length=255, blank=True, default="")
    # CallRail's `source` object (session: {type:all} / engines, landing, referrer,
    # inverted; source: {type: landing_url|search|...}).
    source = models.JSONField(default=dict)
    # Session trackers: the pool.
    pool_size = models.PositiveSmallIntegerField(null=True, blank=True)
    session_timeout = models.PositiveIntegerField(default=1800)  # seconds
    # Shown when every pool number is held; empty keeps the page's own number.
    fallback_number = models.CharField(max_length=20, blank=True, default="")
    # How many new visitors found every pool number held (the pool is too small).
    exhaustion_count = models.PositiveIntegerField(default=0)
    last_exhausted_at = models.DateTimeField(null=True, blank=True)
    # The number-request object used to buy numbers (area_code/local/toll_free).
    number_request = models.JSONField(default=dict, blank=True)
    # The company places its outbound form-submission calls from this tracker's number;
    # such a tracker cannot be disabled until another one takes over (reference: Disabling a Tracker).
    form_submission_outbound = models.BooleanField(default=False)

    objects = AccountScopedQuerySet.as_manager()

    class Meta:
        ordering = ("name",)
        indexes = [models.Index(fields=("company", "status"))]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class TrackingNumber(TimeStampedModel):
    """A phone number bought from the carrier that rings through a tracker's call flow."""

    class Status(models.TextChoices):
        ACTIVE = "active"
        RELEASED = "released"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="tracking_numbers")
    tracker = models.ForeignKey(Tracker, on_delete=models.CASCADE, related_name="numbers")
    number = models.CharField(max_length=20)  # E.164
    carrier_sid = models.CharField(max_length=64, blank=True, default="")  # Twilio PN… sid
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    toll_free = models.BooleanField(default=False)
    released_at = models.DateTimeField(null=True, blank=True)

    objects = AccountScopedQuerySet.as_manager()

    class Meta:
        ordering = ("number",)
        constraints = [
            # One live owner per number across the whole installation: an inbound
            # call must resolve to exactly one tracker.
            models.UniqueConstraint(
                fields=("number",), condition=Q(status="active"), name="tracking_number_unique_active"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class Person(TimeStampedModel):
    """A lead: one customer of a company, identified by phone number (or email).

    Repeat calls, texts and form submissions group under the same person.
    """

    public_id = PublicIdField("PER")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="people")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="people")
    phone_number = models.CharField(max_length=20, blank=True, default="")  # E.164
    email = models.EmailField(blank=True, default="")
    name = models.CharField(max_length=255, blank=True, default="")

    objects = AccountScopedQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at",)
        constraints = [
            models.UniqueConstraint(
                fields=("company", "phone_number"), condition=~Q(phone_number=""), name="person_unique_phone"
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.phone_number or self.email or self.public_id


class VisitorSession(TimeStampedModel):
    """One visit of one browser to a company's site, with how the visitor got there.

    ``visitor_id`` is the long-lived ``calltrk_uuid`` cookie (the same person
    across visits); ``session_key`` is the ``calltrk_session`` cookie (this visit).
    The first-touch fields never change after the visit starts.
    """

    # Attribution: where the visit came from, as the calls and form submissions it leads
    # to keep it (``first_touch``). The one list of these fields: the API's field lists
    # and the webhook payloads read it too. UTM parameters in the reference's order.
    UTM_FIELDS = ("utm_source", "utm_medium", "utm_term", "utm_content", "utm_campaign")
    CLICK_ID_FIELDS = ("gclid", "fbclid", "msclkid")

    # Every new visit inserts a row on the DNI hot path, so indexes are few and
    # chosen: (company, session_key), (company, visitor_id, created_at), person.
    # The references to the account, company and tracker are checked by Django, not
    # by database constraints: every visit's check would share-lock the same few
    # parent rows, and concurrent visits queued behind one another on those locks
    # at commit. Deletes still cascade (Django's collector does that either way).
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="visitor_sessions", db_index=False, db_constraint=False
    )
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="visitor_sessions", db_index=False, db_constraint=False
    )
    tracker = models.ForeignKey(
        Tracker,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sessions",
        db_index=False,
        db_constraint=False,
    )
    person = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="sessions")
    visitor_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    session_key = models.CharField(max_length=64)
    landing_url = models.TextField(blank=True, default="")
    referrer_url = models.TextField(blank=True, default="")
    last_url = models.TextField(blank=True, default="")
    utm_source = models.CharField(max_length=255, blank=True, default="")
    utm_medium = models.CharField(max_length=255, blank=True, default="")
    utm_campaign = models.CharField(max_length=255, blank=True, default="")
    utm_term = models.CharField(max_length=255, blank=True, default="")
    utm_content = models.CharField(max_length=255, blank=True, default="")
    gclid = models.CharField(max_length=255, blank=True, default="")
    fbclid = models.CharField(max_length=255, blank=True, default="")
    msclkid = models.CharField(max_length=255, blank=True, default="")
    # GA cookies (_ga, _utma..._utmz) and custom cookies from grab_cookies.
    cookies = models.JSONField(default=dict, blank=True)
    keywords = models.CharField(max_length=255, blank=True, default="")
    device_type = models.CharField(max_length=8, blank=True, default="")  # mobile|desktop
    user_agent = models.TextField(blank=True, default="")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    # The classified source: google_paid, bing_organic, direct, facebook.com...
    source = models.CharField(max_length=64, blank=True, default="")
    medium = models.CharField(max_length=64, blank=True, default="")
    last_seen_at = models.DateTimeField(default=timezone.now)

    objects = AccountScopedQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at",)
        constraints = [
            models.UniqueConstraint(fields=("company", "session_key"), name="visitor_session_unique_key"),
        ]
        indexes = [
            # A returning visitor's earlier visits (the first touch they keep).
            models.Index(fields=("company", "visitor_id", "created_at"), name="visitor_session_by_visitor"),
        ]

    def __str__(self) -> str:
        return f"{self.session_key} ({self.source or 'unknown'})"

    def first_touch(self) -> dict[str, Any]:
        """Where this visit came from, under the field names of the call it leads to
        (a form submission keeps its ``TOUCH_FIELDS``)."""
        touch: dict[str, Any] = {
            "source": self.source,
            "medium": self.medium,
            "campaign": self.utm_campaign,
            "keywords": self.keywords,
            "landing_page_url": self.landing_url,
            "referring_url": self.referrer_url,
            "last_requested_url": self.last_url,
            "device_type": self.device_type,
            **{name: getattr(self, name) for name in (*self.UTM_FIELDS, *self.CLICK_ID_FIELDS)},
        }
        return {name: value or "" for name, value in touch.items()} | {"cookies": self.cookies or {}}


class PageView(models.Model):
    """A page the visitor viewed during a session (the call's browsing history)."""

    # No database constraint to the account, as for VisitorSession.
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    # Indexed by (session, created_at) below.
    session = models.ForeignKey(VisitorSession, on_delete=models.CASCADE, related_name="page_views", db_index=False)
    page_url = models.TextField()
    referrer_url = models.TextField(blank=True, default="")
    # When the page was viewed (page views of returning visitors are written in bulk, later).
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-created_at",)
        indexes = [models.Index(fields=("session", "created_at"))]

    def __str__(self) -> str:
        return self.page_url


class NumberAssignment(models.Model):
    """The durable log of which session held which pool number, from when to when.

    Redis holds the live pool; this log is the system of record for attribution,
    so a call is tied to the right visit even after Redis restarts or is flushed.
    A number's holder at a moment is its latest row that had started by then.
    ``expires_at`` is extended by activity; ``ended_at`` is set only when a hold
    ends early (the number left the pool, the session moved to another number).
    A hold that simply lapses is superseded by the number's next row, so giving
    a number to a new visitor only appends a row: the hot path never updates.
    """

    # Written for every new visit to a pool: only the indexes attribution reads, and
    # no database constraints to the shared parent rows (see VisitorSession).
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    tracker = models.ForeignKey(
        Tracker, on_delete=models.CASCADE, related_name="assignments", db_index=False, db_constraint=False
    )
    tracking_number = models.ForeignKey(
        TrackingNumber, on_delete=models.CASCADE, related_name="assignments", db_index=False, db_constraint=False
    )
    session = models.ForeignKey(VisitorSession, on_delete=models.CASCADE, related_name="assignments")
    started_at = models.DateTimeField()
    # Extended on activity (lazily: it may trail the live hold by half a timeout).
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-started_at",)
        # A number's holders, latest first: attribution and pool rebuilds read it.
        indexes = [models.Index(fields=("tracking_number", "started_at"))]

    def __str__(self) -> str:
        return f"{self.tracking_number_id} → {self.session_id}"


class PoolExhaustion(models.Model):
    """How many new visitors found a session tracker's pool exhausted (every number held by
    another visitor, so they saw the fallback number) in one hour: the history behind
    ``Tracker.exhaustion_count``, from which the pool's health is charted over time.

    Written by the same statement that counts the exhaustion on the tracker, so it costs
    a visit no write of its own; hours without an exhaustion have no row.
    """

    # The tracker row is locked by that statement already; no database constraint is
    # needed to keep the two in step (deletes still cascade, through Django's collector).
    tracker = models.ForeignKey(
        Tracker, on_delete=models.CASCADE, related_name="exhaustions", db_index=False, db_constraint=False
    )
    hour = models.DateTimeField()  # the start of the hour (UTC)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("hour",)
        constraints = [models.UniqueConstraint(fields=("tracker", "hour"), name="pool_exhaustion_unique_hour")]

    def __str__(self) -> str:
        return f"{self.tracker_id} {self.hour:%Y-%m-%d %H}h: {self.count}"


class FormSubmission(TimeStampedModel):
    """A form a visitor submitted on the company's site, attributed to their session."""

    # The UTM parameters a form keeps (all the reference shows of a form), and the fields of
    # its visit's first touch it copies (``VisitorSession.first_touch``; its own ``source``
    # is the source's display name).
    UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign")
    TOUCH_FIELDS = ("landing_page_url", "referring_url", "medium", "campaign", "keywords", *UTM_FIELDS)

    class LeadStatus(models.TextChoices):
        GOOD_LEAD = "good_lead"
        NOT_A_LEAD = "not_a_lead"
        PREVIOUSLY_MARKED_GOOD_LEAD = "previously_marked_good_lead"

    public_id = PublicIdField("FOR")
    numeric_id = NumericIdField()
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="form_submissions")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="form_submissions")
    session = models.ForeignKey(
        VisitorSession, on_delete=models.SET_NULL, null=True, blank=True, related_name="form_submissions"
    )
    person = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="form_submissions"
    )
    form_data = models.JSONField(default=dict)
    form_name = models.CharField(max_length=255, blank=True, default="")
    form_url = models.TextField(blank=True, default="")
    landing_page_url = models.TextField(blank=True, default="")
    referrer = models.CharField(max_length=64, blank=True, default="")
    referring_url = models.TextField(blank=True, default="")
    submitted_at = models.DateTimeField(db_index=True)
    first_form = models.BooleanField(default=True)
    customer_phone_number = models.CharField(max_length=20, blank=True, default="")
    customer_name = models.CharField(max_length=255, blank=True, default="")
    customer_email = models.CharField(max_length=255, blank=True, default="")
    source = models.CharField(max_length=64, blank=True, default="")
    medium = models.CharField(max_length=64, blank=True, default="")
    campaign = models.CharField(max_length=255, blank=True, default="")
    keywords = models.CharField(max_length=255, blank=True, default="")
    utm_source = models.CharField(max_length=255, blank=True, default="")
    utm_medium = models.CharField(max_length=255, blank=True, default="")
    utm_campaign = models.CharField(max_length=255, blank=True, default="")
    lead_status = models.CharField(max_length=32, choices=LeadStatus.choices, null=True, blank=True)
    value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    note = models.TextField(blank=True, default="")
    tags = models.ManyToManyField("accounts.Tag", blank=True, related_name="form_submissions")

    objects = AccountScopedQuerySet.as_manager()

    class Meta:
        ordering = ("-submitted_at",)
        indexes = [models.Index(fields=("account", "-submitted_at"))]

    def __str__(self) -> str:
        return self.public_id


class ClickEvent(models.Model):
    """A click on a ``tel:`` link or a marked call button (``data-calltrk-cta``) during a visit.

    The first-party signal of call intent: it is counted even when the visitor was
    given no pool number, and a call that follows from the same visitor is linked to it
    (``Call.click_events``). Written by its own small endpoint, never on the page-view path.
    """

    # No database constraints to the shared parent rows, as for VisitorSession.
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    session = models.ForeignKey(VisitorSession, on_delete=models.CASCADE, related_name="click_events", null=True)
    visitor_id = models.CharField(max_length=64)
    # The number as the link dialled it (digits; after swapping, usually a tracking number).
    phone_number = models.CharField(max_length=20, blank=True, default="")
    page_url = models.TextField(blank=True, default="")
    clicked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-clicked_at",)
        indexes = [
            # The clicks of one visitor shortly before a call.
            models.Index(fields=("company", "visitor_id", "clicked_at"), name="click_event_by_visitor"),
        ]

    def __str__(self) -> str:
        return f"{self.phone_number} @ {self.clicked_at:%Y-%m-%d %H:%M}"
