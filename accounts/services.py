"""Writes for accounts, users and API keys, and the tags marketers put on calls and forms.

Each change a person makes is written to the account's audit trail in the same
transaction (``accounts.audit``).
"""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.audit import audit_record, changed, snapshot
from accounts.models import Account, ApiKey, Company, Tag, User
from accounts.tasks import user_invitation_send as user_invitation_send_task
from callrail.deferred.services import enqueue_or_defer_on_commit


class ApiKeyRuleError(Exception):
    """A key this user may not have (message meant for the person asking)."""


@transaction.atomic
def api_key_create(*, user: User, name: str = "") -> tuple[ApiKey, str]:
    """Create a key for ``user``. Returns the row and the plain key, which is never stored."""
    if not user.can_sign_in:
        raise ApiKeyRuleError("Only active users who can sign in may have API keys.")
    plain = ApiKey.generate()
    key = ApiKey.objects.create(
        account_id=user.account_id, user=user, name=name, digest=ApiKey.hash(plain), prefix=plain[:8]
    )
    audit_record(account=user.account_id, action="api_key.created", target=key, changes={"owner": (None, user.email)})
    return key, plain


@transaction.atomic
def api_key_revoke(*, key: ApiKey) -> None:
    """Revoke a key: the next request made with it is refused (401). Idempotent."""
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at", "updated_at"])
        audit_record(account=key.account_id, action="api_key.revoked", target=key)


@dataclass(frozen=True)
class Bootstrap:
    account: Account
    user: User
    api_key: str
    created: bool


@transaction.atomic
def admin_bootstrap(*, email: str, password: str, account_name: str, hipaa: bool = False) -> Bootstrap:
    """Create the account and its admin if missing, and always a fresh API key.

    Idempotent on the email address, so operators can run it on every deploy. The admin
    runs their account (dashboard, API); they are no Django staff: ``/admin/`` shows every
    account's rows and belongs to the platform operator (``createsuperuser``).
    ``hipaa`` puts the account in HIPAA mode (an existing one too; it never turns it off).
    """
    user = User.objects.select_related("account").filter(email=email.lower()).first()
    created = user is None
    if user is None:
        account = Account.objects.create(name=account_name, hipaa_account=hipaa)
        user = User.objects.create_user(email=email, password=password, account=account, role=User.Role.ADMIN)
    elif hipaa:
        account_hipaa_set(account=user.account, enabled=True)
    _, plain = api_key_create(user=user, name="bootstrap")
    return Bootstrap(account=user.account, user=user, api_key=plain, created=created)


def account_hipaa_set(*, account: Account, enabled: bool) -> Account:
    """Turn HIPAA mode on or off (an operator's decision, never an API client's)."""
    if account.hipaa_account != enabled:
        account.hipaa_account = enabled
        account.save(update_fields=["hipaa_account", "updated_at"])
        audit_record(
            account=account,
            action="account.hipaa_set",
            target=account,
            changes={"hipaa_account": (not enabled, enabled)},
        )
    return account


# 0 keeps everything; otherwise at least a day and at most a century.
MAX_DATA_RETENTION_DAYS = 36_500


def data_retention_check(days: int) -> None:
    """Raises ``ValidationError`` for a retention period out of range."""
    if not 0 <= days <= MAX_DATA_RETENTION_DAYS:
        raise ValidationError(f"data_retention_days must be 0 (forever) or between 1 and {MAX_DATA_RETENTION_DAYS}.")


def account_data_retention_set(*, account: Account, days: int) -> Account:
    """How long the account's calls, texts, forms and visits are kept (0: forever).

    The nightly purge applies a shorter period at its next run; the API refuses
    date ranges past it at once."""
    return account_settings_update(account=account, changes={"data_retention_days": days})


@transaction.atomic
def company_create(*, account: Account, name: str, time_zone: str | None = None, **settings: Any) -> Company:
    """A new company. Recorded calls announce it unless ``settings`` say otherwise
    (``recording_disclosure``, ``recording_disclosure_message``, ``record_after_disclosure``)."""
    unknown = set(settings) - set(COMPANY_SETTINGS)
    if unknown:
        raise ValueError(f"not company settings: {sorted(unknown)}")
    settings.setdefault("recording_disclosure", True)
    company = Company.objects.create(account=account, name=name, time_zone=time_zone or account.time_zone, **settings)
    audit_record(account=account, action="company.created", target=company)
    return company


# Company settings a client may change (reference "Updating a Company"; the last ones are
# our own: swap.js waits for consent, and the sites that may use the company's numbers).
COMPANY_SETTINGS = (
    "name",
    "time_zone",
    "callscore_enabled",
    "lead_scoring_enabled",
    "keyword_spotting_enabled",
    "callscribe_enabled",
    "swap_exclude_jquery",
    "swap_ppc_override",
    "swap_landing_override",
    "swap_cookie_duration",
    "swap_cookie_duration_unit",
    "form_capture",
    # Our extension: the announcement recorded calls start with.
    "recording_disclosure",
    "recording_disclosure_message",
    "record_after_disclosure",
    # Our extension: swap.js waits for consent, and the sites that may use the company's numbers.
    "consent_required",
    "allowed_origins",
)

# Reference "Companies": at most 6 months of cookie lifetime, in any unit.
MAX_COOKIE_DURATION = {"months": 6, "weeks": 26, "days": 183}
MAX_ALLOWED_ORIGINS = 50
_DEFAULT_PORTS = {"http": 80, "https": 443}


def cookie_duration_check(duration: int, unit: str) -> None:
    """Raises ``ValidationError`` for a visitor cookie kept longer than six months."""
    if duration > MAX_COOKIE_DURATION[unit]:
        raise ValidationError(f"at most 6 months ({MAX_COOKIE_DURATION[unit]} {unit})")


def origin_normalise(value: str) -> str:
    """A site as browsers name it in the ``Origin`` header: ``https://www.example.com``
    (scheme and host in lower case, a port only when it is not the default one).

    Raises ``ValidationError`` for anything else (a bare host, a path, a query)."""
    text = value.strip()
    example = "https://www.example.com"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ValidationError(f"'{text}' is not an origin (write it as {example}).") from exc
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValidationError(f"'{text}' is not an origin: start it with https:// or http:// (as in {example}).")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        raise ValidationError(f"'{text}' is not an origin: leave out any path or query (as in {example}).")
    origin = f"{scheme}://{parts.hostname}"
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        origin += f":{port}"
    return origin


def allowed_origins_validate(value: Any) -> list[str]:
    """The sites whose pages may use a company's numbers (empty: any site), normalised.

    Raises ``ValidationError`` with a message for the user."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError("must be a list of origins such as https://www.example.com.")
    origins: list[str] = []
    for item in value:
        if item.strip():
            origin = origin_normalise(item)
            if origin not in origins:
                origins.append(origin)
    if len(origins) > MAX_ALLOWED_ORIGINS:
        raise ValidationError(f"at most {MAX_ALLOWED_ORIGINS} origins.")
    return origins


@transaction.atomic
def company_update(*, company: Company, changes: dict[str, Any]) -> Company:
    """Apply already-validated setting changes (keys of ``COMPANY_SETTINGS``)."""
    unknown = set(changes) - set(COMPANY_SETTINGS)
    if unknown:
        raise ValueError(f"not company settings: {sorted(unknown)}")
    before = snapshot(company, changes)
    for field, value in changes.items():
        setattr(company, field, value)
    company.save(update_fields=[*changes, "updated_at"])
    difference = changed(before, changes)
    if difference:
        audit_record(account=company.account_id, action="company.updated", target=company, changes=difference)
    return company


def companies_form_capture_set(*, companies: QuerySet[Company], enabled: bool) -> int:
    """Turn external form capture on or off for many companies; returns how many matched."""
    return companies.update(form_capture=enabled, updated_at=timezone.now())


class LastActiveCompanyError(Exception):
    """An account must keep at least one active company (reference "Disabling a Company")."""


@transaction.atomic
def company_disable(*, company: Company) -> Company:
    """Mark a company disabled (soft delete). Idempotent.

    Its trackers are disabled by the caller in the same transaction (the tracker
    lifecycle lives in the apps above this one); swap.js stops answering for
    a disabled company.
    """
    # Two requests disabling an account's last two active companies at once must not
    # both see "another active company remains": serialise on the account row.
    Account.objects.select_for_update().filter(pk=company.account_id).first()
    company.refresh_from_db(fields=["status", "disabled_at"])
    if not company.is_active:
        return company
    others = Company.objects.filter(account_id=company.account_id, status=Company.Status.ACTIVE).exclude(pk=company.pk)
    if not others.exists():
        raise LastActiveCompanyError("You must have at least one active company.")
    company.status = Company.Status.DISABLED
    company.disabled_at = timezone.now()
    company.save(update_fields=["status", "disabled_at", "updated_at"])
    audit_record(account=company.account_id, action="company.disabled", target=company)
    return company


class DuplicateTagError(Exception):
    """A tag with that name already exists at that level (company or account)."""


def _tag_name_taken(*, account: Account, company: Company | None, name: str, exclude_pk: int | None = None) -> bool:
    # The unique constraint cannot see account-level tags (company NULL), so the rule
    # is checked here, case-insensitively, like names shown side by side in a menu.
    tags = Tag.objects.filter(account=account, company=company, name__iexact=name)
    if exclude_pk is not None:
        tags = tags.exclude(pk=exclude_pk)
    return tags.exists()


@transaction.atomic
def tag_create(*, account: Account, name: str, company: Company | None, color: str = "gray1") -> Tag:
    """A company tag (``company`` set) or an account-level tag (``company`` None)."""
    # Serialise creations per account so two requests cannot add the same name at once.
    Account.objects.select_for_update().filter(pk=account.pk).first()
    if _tag_name_taken(account=account, company=company, name=name):
        raise DuplicateTagError(f"A tag named '{name}' already exists.")
    level = Tag.Level.COMPANY if company is not None else Tag.Level.ACCOUNT
    return Tag.objects.create(account=account, company=company, name=name, color=color, tag_level=level)


@transaction.atomic
def tag_update(*, tag: Tag, name: str | None = None, color: str | None = None, disabled: bool | None = None) -> Tag:
    """Rename (everywhere the tag is applied), recolour, or disable/enable a tag.

    A disabled tag stays on the interactions it is already on.
    """
    Account.objects.select_for_update().filter(pk=tag.account_id).first()
    if name is not None and name != tag.name:
        if _tag_name_taken(account=tag.account, company=tag.company, name=name, exclude_pk=tag.pk):
            raise DuplicateTagError(f"A tag named '{name}' already exists.")
        tag.name = name
    if color is not None:
        tag.color = color
        tag.background_color = ""
    if disabled is not None:
        tag.status = Tag.Status.DISABLED if disabled else Tag.Status.ENABLED
    tag.save()
    return tag


def tag_by_name(*, account_id: int, company_id: int, name: str) -> Tag:
    """The tag ``name`` means in a company: the company's own tag first, then the account's.

    A name neither knows becomes a company tag (reference: "New tags will be created if
    the request contains a tag that doesn't exist in the company currently").
    """
    tag = (
        Tag.objects.filter(account_id=account_id, company_id=company_id, name=name).first()
        or Tag.objects.filter(account_id=account_id, company__isnull=True, name=name).first()
    )
    if tag is None:
        tag, _ = Tag.objects.get_or_create(
            account_id=account_id, company_id=company_id, name=name, defaults={"tag_level": Tag.Level.COMPANY}
        )
    return tag


def tags_for_names(*, account_id: int, company_id: int, names: Any) -> list[Tag]:
    """The tags a marketer named (a list of names, or one name) for a call or form; null or "" names none.

    A disabled tag stays on what it is already on but cannot be applied again.
    """
    if names is None or names == "":
        return []
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise ValidationError("tags must be a list of tag names.")
    tags: list[Tag] = []
    for raw in names:
        name = raw.strip()
        if not name:
            continue
        if len(name) > 100:
            raise ValidationError("A tag name is at most 100 characters.")
        tag = tag_by_name(account_id=account_id, company_id=company_id, name=name)
        if tag.status == Tag.Status.DISABLED:
            raise ValidationError(f"The tag '{name}' is disabled.")
        if tag not in tags:
            tags.append(tag)
    return tags


class UserRuleError(Exception):
    """A user change the rules forbid (message meant for the person asking)."""


def _company_names(companies: Any) -> list[str]:
    return sorted(company.name for company in companies)


def _lock_account(account_id: int) -> None:
    # Changes that could leave an account without an active administrator take turns:
    # two admins demoting or deactivating each other at once would both see "another
    # admin remains".
    Account.objects.select_for_update().filter(pk=account_id).first()


def _check_keeps_an_admin(user: User) -> None:
    """Refuse a change that would take away the account's last active administrator."""
    if not (user.is_admin and user.is_active):
        return
    others = User.objects.filter(account_id=user.account_id, role=User.Role.ADMIN, is_active=True).exclude(pk=user.pk)
    if not others.exists():
        raise UserRuleError("An account needs at least one active administrator.")


@transaction.atomic
def user_invite(
    *,
    account: Account,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    companies: list[Company],
) -> User:
    """Create a user who must accept an emailed invitation (set a password) before logging in.

    Admins reach every company implicitly, so their company list is not stored. A
    notification-only contact gets no invitation: they never sign in, and receive alerts
    as soon as an alert rule names them.
    """
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise UserRuleError("Email has already been taken.")
    user = User.objects.create_user(
        email=email, password=None, account=account, first_name=first_name, last_name=last_name, role=role
    )
    user.accepted = role == User.Role.NOTIFICATION
    user.save(update_fields=["accepted"])
    if role != User.Role.ADMIN:
        user.companies.set(companies)
    audit_record(
        account=account,
        action="user.invited",
        target=user,
        changes={
            "role": (None, role),
            "companies": (None, [] if role == User.Role.ADMIN else _company_names(companies)),
        },
    )
    if role != User.Role.NOTIFICATION:
        # Kept in the database if the broker is down: the invitation is sent late, never lost.
        enqueue_or_defer_on_commit(user_invitation_send_task, user.pk)
    return user


@transaction.atomic
def user_invitation_resend(*, user: User) -> User:
    """Email the invitation again (a new link; the earlier one keeps working until a password is set)."""
    if user.accepted or not user.can_sign_in:
        raise UserRuleError("Only a pending invitation can be sent again.")
    audit_record(account=user.account_id, action="user.invitation_resent", target=user)
    enqueue_or_defer_on_commit(user_invitation_send_task, user.pk)
    return user


@transaction.atomic
def user_invitation_cancel(*, user: User) -> None:
    """Withdraw a pending invitation: the invited user is removed and their link stops working."""
    if user.accepted:
        raise UserRuleError("This user has accepted their invitation: deactivate them instead.")
    audit_record(account=user.account_id, action="user.invitation_canceled", target=user)
    user.delete()


@transaction.atomic
def user_update(
    *,
    user: User,
    first_name: str | None = None,
    last_name: str | None = None,
    email: str | None = None,
    time_zone: str | None = None,
    companies: list[Company] | None = None,
) -> User:
    """Profile and company-access changes, already authorised by the caller.

    ``time_zone`` "" follows the account's time zone.
    """
    profile = {"first_name": first_name, "last_name": last_name, "email": email, "time_zone": time_zone}
    profile = {field: value for field, value in profile.items() if value is not None}
    if "email" in profile:
        profile["email"] = User.objects.normalize_email(profile["email"]).lower()
        if User.objects.filter(email__iexact=profile["email"]).exclude(pk=user.pk).exists():
            raise UserRuleError("Email has already been taken.")
    before = snapshot(user, profile)
    for field, value in profile.items():
        setattr(user, field, value)
    user.save()
    difference = changed(before, profile)
    if difference:
        audit_record(account=user.account_id, action="user.updated", target=user, changes=difference)
    if companies is not None:
        if user.is_admin:
            raise UserRuleError("Administrators have access to every company; company access applies to other roles.")
        _companies_set(user, companies)
    return user


def _companies_set(user: User, companies: list[Company]) -> None:
    before = _company_names(user.companies.all())
    user.companies.set(companies)
    after = _company_names(companies)
    if before != after:
        audit_record(
            account=user.account_id, action="user.access_changed", target=user, changes={"companies": (before, after)}
        )


def _revoke_keys(user: User) -> None:
    for key in ApiKey.objects.filter(user=user, revoked_at__isnull=True):
        api_key_revoke(key=key)


@transaction.atomic
def user_access_change(*, user: User, role: str, companies: list[Company], actor: User | None) -> User:
    """Change a user's role and the companies they reach.

    Admins reach every company (no list is kept). Becoming a notification-only contact ends
    the user's sessions, revokes their API keys and removes their password; a contact given
    a role that signs in is invited to choose a password.
    """
    if role not in User.Role.values:
        raise UserRuleError(f"Unknown role {role!r}.")
    _lock_account(user.account_id)
    user.refresh_from_db(fields=["role", "is_active", "accepted"])
    old_role = user.role
    if role != old_role:
        if actor is not None and actor.pk == user.pk:
            raise UserRuleError("You cannot change your own role; ask another administrator.")
        if role != User.Role.ADMIN:
            _check_keeps_an_admin(user)
    before = _company_names(user.companies.all()) if old_role != User.Role.ADMIN else []
    after = _company_names(companies) if role != User.Role.ADMIN else []
    user.role = role
    fields = ["role"]
    invite = False
    if role == User.Role.NOTIFICATION and old_role != User.Role.NOTIFICATION:
        user.set_unusable_password()
        user.sessions_end()
        user.accepted = True
        fields += ["password", "session_token", "accepted"]
        _revoke_keys(user)
    elif old_role == User.Role.NOTIFICATION and role != User.Role.NOTIFICATION:
        user.accepted = False
        fields.append("accepted")
        invite = user.is_active
    user.save(update_fields=fields)
    user.companies.set(companies if role != User.Role.ADMIN else [])
    difference = changed({"role": old_role, "companies": before}, {"role": role, "companies": after})
    if difference:
        audit_record(account=user.account_id, action="user.access_changed", target=user, changes=difference)
    if invite:
        enqueue_or_defer_on_commit(user_invitation_send_task, user.pk)
    return user


@transaction.atomic
def user_deactivate(*, user: User, actor: User | None) -> User:
    """Take away a user's access at once: their sessions end at their next request and
    their API keys are revoked. Their alert rules and history stay."""
    if actor is not None and actor.pk == user.pk:
        raise UserRuleError("You cannot deactivate yourself.")
    _lock_account(user.account_id)
    user.refresh_from_db(fields=["role", "is_active"])
    if not user.is_active:
        return user
    _check_keeps_an_admin(user)
    user.is_active = False
    user.sessions_end()
    user.save(update_fields=["is_active", "session_token"])
    audit_record(account=user.account_id, action="user.deactivated", target=user, changes={"is_active": (True, False)})
    _revoke_keys(user)
    return user


@transaction.atomic
def user_reactivate(*, user: User) -> User:
    """Give a deactivated user their access back (with the role and companies they had;
    their revoked API keys stay revoked)."""
    if user.is_active:
        return user
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit_record(account=user.account_id, action="user.reactivated", target=user, changes={"is_active": (False, True)})
    return user


@transaction.atomic
def user_delete(*, user: User, actor: User | None) -> None:
    """Remove a user for good (their alert rules go with them)."""
    if actor is not None and actor.pk == user.pk:
        raise UserRuleError("You cannot delete your own user.")
    _lock_account(user.account_id)
    _check_keeps_an_admin(user)
    audit_record(account=user.account_id, action="user.deleted", target=user)
    user.delete()


@transaction.atomic
def user_password_change(*, user: User, password: str) -> User:
    """Set a new (already validated) password. Every session made with the old one ends;
    the caller keeps the current one (``update_session_auth_hash``)."""
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(account=user.account_id, action="user.password_changed", target=user)
    return user


@transaction.atomic
def user_sessions_end(*, user: User) -> User:
    """End every session of the user (the caller keeps its own with ``update_session_auth_hash``)."""
    user.sessions_end()
    user.save(update_fields=["session_token"])
    audit_record(account=user.account_id, action="user.sessions_ended", target=user)
    return user


@transaction.atomic
def user_invitation_accept(*, user: User) -> User:
    """The invited user has chosen a password: the invitation is accepted."""
    if not user.accepted:
        user.accepted = True
        user.save(update_fields=["accepted"])
        audit_record(account=user.account_id, action="user.invitation_accepted", target=user, actor=user)
    return user


# Account settings its admins change (dashboard) and the API shows.
ACCOUNT_SETTINGS: tuple[str, ...] = ("name", "time_zone", "outbound_recording_enabled", "data_retention_days")


def account_settings_fields() -> tuple[str, ...]:
    """The account settings an admin may change, in the order the settings page shows them."""
    return ACCOUNT_SETTINGS


@transaction.atomic
def account_settings_update(*, account: Account, changes: dict[str, Any]) -> Account:
    """Apply already-validated changes to the account's settings (``account_settings_fields``)."""
    unknown = set(changes) - set(account_settings_fields())
    if unknown:
        raise ValueError(f"not account settings: {sorted(unknown)}")
    if "data_retention_days" in changes:
        data_retention_check(changes["data_retention_days"])
    before = snapshot(account, changes)
    for field, value in changes.items():
        setattr(account, field, value)
    account.save(update_fields=[*changes, "updated_at"])
    difference = changed(before, changes)
    if difference:
        audit_record(account=account, action="account.updated", target=account, changes=difference)
    return account
