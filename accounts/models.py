"""Tenants and the people in them: accounts, users, API keys, companies, tags.

Every row of every app belongs to an Account; that is the wall between tenants.
"""

import hashlib
import secrets
from collections.abc import Iterator
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.fields import NumericIdField, PublicIdField, TimeStampedModel

DEFAULT_TIME_ZONE = "America/New_York"
# About 25 months: the window CallRail keeps and its API serves (reference: "Data Retention").
DEFAULT_DATA_RETENTION_DAYS = 760
DEFAULT_RECORDING_DISCLOSURE = "This call may be recorded for quality and training purposes."


class AccountScopedQuerySet(models.QuerySet):
    def for_account(self, account: "Account") -> "AccountScopedQuerySet":
        return self.filter(account=account)


class Account(TimeStampedModel):
    """A tenant: an agency or business with its own companies, users and data.

    CallRail calls this an account (or agency); API paths are scoped by it.
    """

    public_id = PublicIdField("ACC")
    numeric_id = NumericIdField()
    name = models.CharField(max_length=255)
    time_zone = models.CharField(max_length=64, default=DEFAULT_TIME_ZONE)
    # Set by the operator (``bootstrap_admin --hipaa``, ``set_hipaa``): alert and summary
    # emails carry no caller data, and access to calls and recordings is audited.
    hipaa_account = models.BooleanField(default=False)
    outbound_recording_enabled = models.BooleanField(default=True)
    # Calls, recordings, texts, forms, visits and their logs older than this are purged
    # every night (0: kept forever); the API refuses date ranges reaching further back.
    data_retention_days = models.PositiveIntegerField(default=DEFAULT_DATA_RETENTION_DAYS)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        if not email:
            raise ValueError("Users need an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        """The platform operator (``/admin/``): in an account of their own, so that no
        customer's account has a member who sees every account."""
        if "account" not in extra:
            extra["account"] = Account.objects.create(name="Platform operator")
        extra.setdefault("role", User.Role.ADMIN)
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in to the dashboard or owns API keys.

    Roles follow CallRail: ``admin`` sees and configures everything in the account;
    ``manager`` configures numbers, forms and integrations in their companies;
    ``reporting`` reads calls and reports and annotates them; ``notification`` is a
    contact who receives alerts about their companies but never signs in.
    """

    class Role(models.TextChoices):
        ADMIN = "admin"
        MANAGER = "manager"
        REPORTING = "reporting"
        NOTIFICATION = "notification", "Notification only"

    public_id = PublicIdField("USR")
    numeric_id = NumericIdField()
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="users")
    email = models.EmailField(unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.REPORTING)
    # Admins implicitly reach every company; others only these.
    companies = models.ManyToManyField("accounts.Company", blank=True, related_name="users")
    time_zone = models.CharField(max_length=64, blank=True, default="")
    # False until an invited user sets a password (CallRail's `accepted`).
    accepted = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Mixed into the hash every session of this user carries: a new value ends all of
    # them at the next request (deactivation, "sign out of other sessions"). Empty until
    # first replaced, so sessions made before this field existed stay valid.
    session_token = models.CharField(max_length=32, blank=True, default="", editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ("email",)

    def __str__(self) -> str:
        return self.email

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def effective_time_zone(self) -> str:
        return self.time_zone or self.account.time_zone

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN

    @property
    def can_edit(self) -> bool:
        """Admins and managers change things in the dashboard; reporting users only read."""
        return self.role in (self.Role.ADMIN, self.Role.MANAGER)

    @property
    def can_sign_in(self) -> bool:
        """Notification-only contacts receive alerts but have no dashboard or API access."""
        return self.is_active and self.role != self.Role.NOTIFICATION

    def get_session_auth_hash(self) -> str:
        if not self.session_token:
            return super().get_session_auth_hash()
        return self._session_hash(secret=None)

    def get_session_auth_fallback_hash(self) -> Iterator[str]:
        if not self.session_token:
            yield from super().get_session_auth_fallback_hash()
            return
        for secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_hash(secret=secret)

    def _session_hash(self, *, secret: str | bytes | None) -> str:
        return salted_hmac(
            "accounts.User.session_auth_hash",
            f"{self.password}:{self.session_token}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def sessions_end(self) -> None:
        """Give the user a new session token (saved by the caller): every session ends."""
        self.session_token = secrets.token_hex(16)

    def visible_companies(self) -> "models.QuerySet[Company]":
        """The companies this user may see, inside their own account only."""
        companies = Company.objects.filter(account_id=self.account_id)
        if self.is_admin:
            return companies
        return companies.filter(users=self)


class ApiKey(TimeStampedModel):
    """A credential for the v3 API. It acts as its user and sees what they see.

    Only a SHA-256 digest is stored: the key is 128 random bits, so a slow
    password hash adds nothing but latency to every request. The plain key is
    shown once, when it is created.
    """

    # Names the key in the dashboard's links (the key itself is never shown again).
    public_id = PublicIdField("KEY")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="api_keys")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, blank=True)
    digest = models.CharField(max_length=64, unique=True)
    # The first characters, so a user can tell their keys apart.
    prefix = models.CharField(max_length=8)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = AccountScopedQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at",)
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @staticmethod
    def generate() -> str:
        return secrets.token_hex(16)

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


def new_script_token() -> str:
    return secrets.token_hex(10)


def new_signing_key() -> str:
    return secrets.token_hex(16)


class Company(TimeStampedModel):
    """A business whose calls are tracked: it owns trackers, numbers and the swap.js snippet.

    An agency account usually holds one company per client.
    """

    class Status(models.TextChoices):
        ACTIVE = "active"
        DISABLED = "disabled"

    class CookieDurationUnit(models.TextChoices):
        DAYS = "days"
        WEEKS = "weeks"
        MONTHS = "months"

    class SpamTreatment(models.TextChoices):
        # Ask the caller to press 1 before ringing the business (stops robocallers).
        CHALLENGE = "challenge"
        # Refuse the call before it is answered (no charge, no ring).
        REJECT = "reject"

    public_id = PublicIdField("COM")
    numeric_id = NumericIdField()
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="companies")
    name = models.CharField(max_length=255)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    disabled_at = models.DateTimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, default=DEFAULT_TIME_ZONE)
    # None until swap.js has reported in from the company's site.
    dni_active = models.BooleanField(null=True, blank=True)
    script_token = models.CharField(max_length=20, default=new_script_token, editable=False)
    callscore_enabled = models.BooleanField(default=False)
    lead_scoring_enabled = models.BooleanField(default=True)
    swap_exclude_jquery = models.BooleanField(null=True, blank=True)  # deprecated by CallRail; kept for clients
    swap_ppc_override = models.BooleanField(default=True)
    swap_landing_override = models.CharField(max_length=100, null=True, blank=True)
    swap_cookie_duration = models.PositiveIntegerField(default=6)
    swap_cookie_duration_unit = models.CharField(
        max_length=8, choices=CookieDurationUnit.choices, default=CookieDurationUnit.MONTHS
    )
    callscribe_enabled = models.BooleanField(default=False)
    keyword_spotting_enabled = models.BooleanField(default=False)  # deprecated by CallRail
    form_capture = models.BooleanField(default=False)
    # When set, swap.js sets no cookie and makes no request until consent is given.
    consent_required = models.BooleanField(default=False)
    # Origins allowed to call the DNI endpoint; empty means any (the snippet is public).
    allowed_origins = models.JSONField(default=list, blank=True)
    # Form fields never stored for this company (form_submissions/ignored_fields).
    ignored_form_fields = models.JSONField(default=list, blank=True)
    # HMAC key for outgoing webhook signatures (rotatable by admins).
    webhook_signing_key = models.CharField(max_length=32, default=new_signing_key)
    spam_treatment = models.CharField(max_length=16, choices=SpamTreatment.choices, default=SpamTreatment.CHALLENGE)
    # Recorded calls start with this announcement, before anything else. Off by default here so
    # companies made before it existed keep their behaviour; ``company_create`` turns it on.
    recording_disclosure = models.BooleanField(default=False)
    recording_disclosure_message = models.CharField(max_length=500, default=DEFAULT_RECORDING_DISCLOSURE)
    # Start recording right after the announcement (the whole call from then on) instead of when
    # a phone answers: nothing is recorded before the caller was told.
    record_after_disclosure = models.BooleanField(default=False)

    objects = AccountScopedQuerySet.as_manager()

    class Meta:
        ordering = ("name",)
        verbose_name_plural = "companies"

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def script_path(self) -> str:
        """Where swap.js is served for this company, in CallRail's shape
        (``/companies/{numeric id}/{20-hex token}/12/swap.js``)."""
        return f"/companies/{self.numeric_id}/{self.script_token}/12/swap.js"

    @property
    def script_url(self) -> str:
        """The scheme-relative snippet URL shown to customers (CallRail's ``script_url``)."""
        host = settings.PUBLIC_BASE_URL.split("://", 1)[-1].rstrip("/")
        return f"//{host}{self.script_path}"

    @property
    def cookie_duration_days(self) -> int:
        per_unit = {"days": 1, "weeks": 7, "months": 30}
        return min(self.swap_cookie_duration * per_unit.get(self.swap_cookie_duration_unit, 30), 183)


class Tag(TimeStampedModel):
    """A label marketers put on calls, texts and form submissions ("Sales", "Spam"...).

    Company-level tags apply inside one company; account-level tags everywhere.
    """

    class Level(models.TextChoices):
        COMPANY = "company"
        ACCOUNT = "account"

    class Status(models.TextChoices):
        ENABLED = "enabled"
        DISABLED = "disabled"

    # CallRail exposes tag ids as integers.
    numeric_id = NumericIdField()
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="tags")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, null=True, blank=True, related_name="tags")
    name = models.CharField(max_length=100)
    tag_level = models.CharField(max_length=8, choices=Level.choices, default=Level.COMPANY)
    color = models.CharField(max_length=16, default="gray1")
    # CallRail returns a separate background colour name; blank means the same as `color`
    # (the reference's create example echoes the colour in both).
    background_color = models.CharField(max_length=16, blank=True, default="")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ENABLED)

    objects = AccountScopedQuerySet.as_manager()

    class Meta:
        ordering = ("name",)
        constraints = [
            models.UniqueConstraint(fields=("account", "company", "name"), name="tag_unique_name_per_company"),
        ]

    def __str__(self) -> str:
        return self.name


class AuditEvent(models.Model):
    """One entry of an account's audit trail: who did what to which object, when and from where.

    Written by the services that make the change (``accounts.audit.audit_record``), so a
    change made through the API, the dashboard or the Django admin is recorded alike.
    ``changes`` holds the changed fields only, as ``{field: [before, after]}``; secrets
    (passwords, keys) never appear in it. Kept for the account's retention period.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="audit_events")
    # None for the system (a scheduled task) or someone not signed in (a failed sign-in).
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # Who it was at the time, kept when the user is later deleted or renamed.
    actor_label = models.CharField(max_length=254, blank=True, default="")
    # "<object type>.<verb>", e.g. "user.deactivated" (labels in accounts/audit.py).
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True, default="")
    object_id = models.CharField(max_length=64, blank=True, default="")
    object_label = models.CharField(max_length=255, blank=True, default="")
    changes = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AccountScopedQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [
            # The log page: an account's newest entries first, by any filter below.
            models.Index(fields=("account", "-created_at", "-id"), name="audit_event_account"),
            models.Index(fields=("account", "actor", "-created_at"), name="audit_event_actor"),
            # The nightly purge: the oldest rows, whatever their account.
            models.Index(fields=("created_at",), name="audit_event_created"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_label}".strip()
