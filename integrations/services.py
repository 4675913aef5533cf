"""Writes for what the platform sends out: users' alert rules (notifications) and
summary email subscriptions."""

from typing import Any

from django.db import transaction

from accounts.models import Account, Company, User
from integrations.models import Notification, SummaryEmail


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
    for field in NOTIFICATION_SETTINGS:
        if field in values:
            setattr(notification, field, values[field])
    _notification_check(notification)
    notification.save()
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
    return SummaryEmail.objects.create(
        account=account,
        user=user,
        email="" if user else email,
        company=company,
        frequency=list(dict.fromkeys(frequency)),
        config={section: bool(config.get(section, False)) for section in SUMMARY_EMAIL_SECTIONS},
        lead_status_filter=lead_status,
    )


@transaction.atomic
def summary_email_update(
    *,
    summary_email: SummaryEmail,
    frequency: list[str] | None = None,
    config: dict[str, bool] | None = None,
    lead_status: str | None = None,
) -> SummaryEmail:
    """``frequency`` replaces the subscribed set; ``config`` keys merge into the sections."""
    if frequency is not None:
        summary_email.frequency = list(dict.fromkeys(frequency))
    if config is not None:
        summary_email.config = {**summary_email.config, **{key: bool(value) for key, value in config.items()}}
    if lead_status is not None:
        summary_email.lead_status_filter = lead_status
    summary_email.save()
    return summary_email
