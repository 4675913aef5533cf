"""Writes for what the platform sends out, configuration only (sending is
``integrations/webhooks`` and ``integrations/emails``):

- integrations and their triggers. Config validation lives here too, so the API and
  any other writer accept exactly the same shapes (reference "Integration
  Configuration Object");
- users' alert rules (notifications) and summary email subscriptions.

Every change is written to the account's audit trail (``accounts.audit``) in the same
transaction.
"""

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.audit import audit_record, changed, snapshot
from accounts.models import Account, Company, User
from integrations.models import Integration, IntegrationTrigger, Notification, SummaryEmail
from integrations.webhooks.events import CONFIG_KEYS
from integrations.webhooks.safety import webhook_url_validate

WEBHOOK_CONFIG_KEYS: tuple[str, ...] = tuple(CONFIG_KEYS.values())
# RFC 6265 cookie-name characters (a "token"): what a browser can send back.
_COOKIE_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,256}$")
MAX_URLS_PER_EVENT = 10


class IntegrationRuleError(Exception):
    """A request the integration rules refuse (duplicate type, duplicate trigger...)."""


def integration_config_validate(type_: str, config: Any) -> dict[str, Any]:
    """The normalised config for ``type_``; raises ``ValidationError`` naming the bad key."""
    if not isinstance(config, dict):
        raise ValidationError("config must be an object.")
    if type_ == Integration.Type.WEBHOOKS:
        return _webhooks_config(config)
    if type_ == Integration.Type.CUSTOM:
        return _custom_config(config)
    raise ValidationError(f"Integrations of type {type_!r} cannot be configured through the API.")


def _webhooks_config(config: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(config) - set(WEBHOOK_CONFIG_KEYS))
    if unknown:
        raise ValidationError(
            f"Unknown webhook config keys: {', '.join(unknown)}. Valid: {', '.join(WEBHOOK_CONFIG_KEYS)}."
        )
    cleaned: dict[str, list[str]] = {}
    for key, urls in config.items():
        if urls is None:
            cleaned[key] = []
            continue
        if isinstance(urls, str):
            urls = [urls]
        if not isinstance(urls, list) or not all(isinstance(url, str) for url in urls):
            raise ValidationError(f"{key} must be an array of URLs.")
        if len(urls) > MAX_URLS_PER_EVENT:
            raise ValidationError(f"{key} accepts at most {MAX_URLS_PER_EVENT} URLs.")
        normalised: list[str] = []
        for url in urls:
            try:
                valid = webhook_url_validate(url, resolve=True)
            except ValidationError as exc:
                raise ValidationError(f"{key}: {' '.join(exc.messages)}") from exc
            if valid not in normalised:
                normalised.append(valid)
        cleaned[key] = normalised
    return cleaned


def _custom_config(config: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(config) - {"grab_cookies"})
    if unknown:
        raise ValidationError(f"Unknown custom config keys: {', '.join(unknown)}. Valid: grab_cookies.")
    cookies = config.get("grab_cookies")
    if not isinstance(cookies, list) or not cookies:
        raise ValidationError("grab_cookies is required: an array of cookie names.")
    names: list[str] = []
    for name in cookies:
        if not isinstance(name, str) or not _COOKIE_NAME.match(name.strip()):
            raise ValidationError(f"grab_cookies: {name!r} is not a valid cookie name.")
        if name.strip() not in names:
            names.append(name.strip())
    return {"grab_cookies": names}


@transaction.atomic
def integration_create(*, account: Account, company: Company, type_: str, config: dict[str, Any]) -> Integration:
    """Create (or re-enable a disabled) integration of ``type_`` for the company.

    A company has at most one integration per type. Deleting one through the API
    only disables it, so creating the same type again brings that row back with
    the new config instead of failing.
    """
    config = integration_config_validate(type_, config)
    # Lock the company's integrations of this type so two creations cannot race.
    existing = Integration.objects.select_for_update().filter(company=company, type=type_).first()
    if existing is not None:
        if existing.state != Integration.State.DISABLED:
            raise IntegrationRuleError(f"This company already has a {type_} integration (id {existing.numeric_id}).")
        before = snapshot(existing, ("config", "state"))
        existing.config = config
        existing.state = Integration.State.ACTIVE
        existing.save(update_fields=["config", "state", "updated_at"])
        audit_record(
            account=account,
            action="integration.updated",
            target=existing,
            changes=changed(before, {"config": config, "state": existing.state}),
        )
        return existing
    integration = Integration.objects.create(account=account, company=company, type=type_, config=config)
    audit_record(account=account, action="integration.created", target=integration, changes={"config": (None, config)})
    return integration


@transaction.atomic
def integration_update(
    *, integration: Integration, state: str | None = None, config: dict[str, Any] | None = None
) -> Integration:
    """Change state (active/disabled) and/or config. Config keys sent replace the
    stored ones; keys not sent stay as they were."""
    before = snapshot(integration, ("config", "state"))
    if config is not None:
        merged = {**(integration.config or {}), **config}
        integration.config = integration_config_validate(integration.type, merged)
    if state is not None:
        integration.state = state
    integration.save(update_fields=["config", "state", "updated_at"])
    difference = changed(before, snapshot(integration, ("config", "state")))
    if difference:
        audit_record(
            account=integration.account_id, action="integration.updated", target=integration, changes=difference
        )
    return integration


def integration_disable(*, integration: Integration) -> Integration:
    return integration_update(integration=integration, state=Integration.State.DISABLED)


TRIGGER_FIELDS = ("tracker_ids", "call_type", "min_duration", "max_duration", "lead_status")


def _trigger_check(trigger: IntegrationTrigger) -> None:
    if (
        trigger.min_duration is not None
        and trigger.max_duration is not None
        and trigger.min_duration > trigger.max_duration
    ):
        raise IntegrationRuleError("min_duration must not exceed max_duration.")


def _trigger_save(trigger: IntegrationTrigger, values: dict[str, Any]) -> IntegrationTrigger:
    creating = trigger.pk is None
    before = snapshot(trigger, TRIGGER_FIELDS)
    for field in TRIGGER_FIELDS:
        if field in values:
            setattr(trigger, field, values[field])
    _trigger_check(trigger)
    trigger.save()
    difference = changed({} if creating else before, snapshot(trigger, TRIGGER_FIELDS))
    if creating or difference:
        action = "integration_trigger.created" if creating else "integration_trigger.updated"
        audit_record(account=trigger.account_id, action=action, target=trigger, changes=difference)
    return trigger


@transaction.atomic
def integration_trigger_create(
    *, account: Account, company: Company, integration: Integration | None, values: dict[str, Any]
) -> IntegrationTrigger:
    """The trigger of ``integration``, or the company's default trigger when it is None.

    At most one trigger per integration, and one default per company.
    """
    # Serialise on the company row: the one-per-integration and one-default rules are
    # checked, then written, without another request slipping in between.
    Company.objects.select_for_update().filter(pk=company.pk).first()
    existing = IntegrationTrigger.objects.filter(company=company, integration=integration)
    if existing.exists():
        if integration is None:
            raise IntegrationRuleError("This company already has a default integration trigger.")
        raise IntegrationRuleError(f"Integration {integration.numeric_id} already has an integration trigger.")
    trigger = IntegrationTrigger(account=account, company=company, integration=integration)
    return _trigger_save(trigger, values)


@transaction.atomic
def integration_trigger_update(*, trigger: IntegrationTrigger, values: dict[str, Any]) -> IntegrationTrigger:
    return _trigger_save(trigger, values)


class AlertRuleError(Exception):
    """An alert rule or summary subscription the reference forbids (message meant for the API client)."""


NOTIFICATION_SETTINGS = (
    "call_enabled",
    "sms_enabled",
    "alert_type",
    "send_desktop",
    "send_email",
    "send_push",
    "company",
    "tracker_public_id",
    "agent",
)


def _notification_check(notification: Notification) -> None:
    if notification.user_id is None:
        # Reference: an email-only recipient needs a company or tracker scope, and email only.
        if notification.company_id is None and not notification.tracker_public_id:
            raise AlertRuleError("Notifications for an email-only recipient need a company_id or tracker_id.")
        if notification.send_push or notification.send_desktop:
            raise AlertRuleError("Email-only recipients can only receive send_email notifications.")


def _notification_save(notification: Notification, values: dict[str, Any]) -> Notification:
    creating = notification.pk is None
    before = snapshot(notification, NOTIFICATION_SETTINGS)
    for field in NOTIFICATION_SETTINGS:
        if field in values:
            setattr(notification, field, values[field])
    _notification_check(notification)
    notification.save()
    difference = changed({} if creating else before, snapshot(notification, NOTIFICATION_SETTINGS))
    if creating or difference:
        action = "notification.created" if creating else "notification.updated"
        audit_record(account=notification.account_id, action=action, target=notification, changes=difference)
    return notification


@transaction.atomic
def notification_create(
    *, account: Account, user: User | None, email: str = "", values: dict[str, Any]
) -> Notification:
    """An alert rule for ``user`` (or an email-only recipient when ``user`` is None)."""
    notification = Notification(account=account, user=user, email="" if user else email)
    if user is None:
        # Email-only recipients get email alerts and nothing else.
        values = {"send_email": True, **values}
    return _notification_save(notification, values)


@transaction.atomic
def notification_update(*, notification: Notification, values: dict[str, Any]) -> Notification:
    """Change scope, events and channels; the recipient cannot change (delete and recreate)."""
    return _notification_save(notification, values)


@transaction.atomic
def notification_delete(*, notification: Notification) -> None:
    audit_record(account=notification.account_id, action="notification.deleted", target=notification)
    notification.delete()


SUMMARY_EMAIL_SECTIONS = ("summary_statistics", "top_sources", "top_keywords", "call_log")
SUMMARY_EMAIL_FREQUENCIES = ("daily", "weekly", "monthly")
SUMMARY_EMAIL_LEAD_STATUSES = ("Lead", "Not a Lead", "Not Scored", "All")


@transaction.atomic
def summary_email_create(
    *,
    account: Account,
    user: User | None,
    email: str = "",
    company: Company | None,
    frequency: list[str],
    config: dict[str, bool],
    lead_status: str = "All",
) -> SummaryEmail:
    """A digest subscription for a user (or an email-only recipient, who needs a company).

    Sections not named in ``config`` are off.
    """
    if user is None and company is None:
        raise AlertRuleError("Summary emails for an email-only recipient need a company_id.")
    summary_email = SummaryEmail.objects.create(
        account=account,
        user=user,
        email="" if user else email,
        company=company,
        frequency=list(dict.fromkeys(frequency)),
        config={section: bool(config.get(section, False)) for section in SUMMARY_EMAIL_SECTIONS},
        lead_status_filter=lead_status,
    )
    audit_record(
        account=account,
        action="summary_email.created",
        target=summary_email,
        changes={"frequency": (None, summary_email.frequency), "company": (None, company)},
    )
    return summary_email


@transaction.atomic
def summary_email_update(
    *,
    summary_email: SummaryEmail,
    frequency: list[str] | None = None,
    config: dict[str, bool] | None = None,
    lead_status: str | None = None,
) -> SummaryEmail:
    """``frequency`` replaces the subscribed set; ``config`` keys merge into the sections."""
    fields = ("frequency", "config", "lead_status_filter")
    before = snapshot(summary_email, fields)
    if frequency is not None:
        summary_email.frequency = list(dict.fromkeys(frequency))
    if config is not None:
        summary_email.config = {**summary_email.config, **{key: bool(value) for key, value in config.items()}}
    if lead_status is not None:
        summary_email.lead_status_filter = lead_status
    summary_email.save()
    difference = changed(before, snapshot(summary_email, fields))
    if difference:
        audit_record(
            account=summary_email.account_id, action="summary_email.updated", target=summary_email, changes=difference
        )
    return summary_email


@transaction.atomic
def summary_email_delete(*, summary_email: SummaryEmail) -> None:
    audit_record(account=summary_email.account_id, action="summary_email.deleted", target=summary_email)
    summary_email.delete()
