"""The audit trail: who did what in an account, to which object, when and from where.

Services call ``audit_record`` next to the write they make, in the same transaction, so
the API, the dashboard and the Django admin leave the same entries and a rolled-back
change leaves none. Who acted and from which address come from the request being
served (``AuditContextMiddleware`` keeps it for the duration of the request); outside a
request (Celery, management commands) the actor is the system. The API's token
authentication runs inside the view, after the middleware, and DRF writes the
authenticated user onto the Django request: the actor is read when the entry is written,
so API changes carry their key's user.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from accounts.models import Account, AuditEvent, User

_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)


class AuditContextMiddleware:
    """Makes the current request (its user and address) known to ``audit_record``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address. Behind a proxy that sets X-Forwarded-For (the same setting the
    DNI endpoint trusts) the address the proxy saw: its own, last entry, since earlier ones
    are whatever the client sent."""
    candidate = ""
    if getattr(settings, "DNI_TRUST_X_FORWARDED_FOR", False):
        candidate = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
    candidate = candidate or request.META.get("REMOTE_ADDR", "")
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


class _Unset(Enum):
    UNSET = "unset"


UNSET = _Unset.UNSET


def _request_actor(request: HttpRequest | None) -> User | None:
    user = getattr(request, "user", None) if request is not None else None
    if isinstance(user, User) and user.is_authenticated:
        return user
    return None


def _jsonable(value: Any) -> Any:
    """A value as it can be kept in JSON and shown to a reader."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_jsonable(item) for item in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, models.Model):
        return str(value)
    return str(value)


def object_reference(target: models.Model) -> tuple[str, str, str]:
    """(type, id, label) of a row as the log shows it: its verbose name, the id the API
    shows for it (public id, else numeric id, else primary key) and its ``str()``."""
    object_id = getattr(target, "public_id", None) or getattr(target, "numeric_id", None) or target.pk
    return str(target._meta.verbose_name), str(object_id or ""), str(target)[:255]


def audit_record(
    *,
    account: Account | int,
    action: str,
    target: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_label: str = "",
    changes: Mapping[str, tuple[Any, Any] | list[Any]] | None = None,
    actor: User | None | _Unset = UNSET,
    actor_label: str = "",
    ip_address: str | None | _Unset = UNSET,
) -> AuditEvent:
    """Write one entry of ``account``'s audit trail (inside the caller's transaction).

    ``target`` names the object (``object_type``/``object_id``/``object_label``, when given,
    say it otherwise or name an object that is not a row);
    ``changes`` maps each changed field to its (before, after) values. ``actor`` and
    ``ip_address`` default to the request being served, if any.
    """
    request = _request.get()
    if actor is UNSET:
        actor = _request_actor(request)
    if ip_address is UNSET:
        ip_address = client_ip(request) if request is not None else None
    if target is not None:
        kind, identifier, label = object_reference(target)
        object_type, object_id, object_label = object_type or kind, object_id or identifier, object_label or label
    return AuditEvent.objects.create(
        account_id=account if isinstance(account, int) else account.pk,
        actor=actor,
        actor_label=(actor_label or (actor.email if actor is not None else ""))[:254],
        action=action,
        object_type=object_type[:64],
        object_id=str(object_id)[:64],
        object_label=object_label[:255],
        changes={field: [_jsonable(before), _jsonable(after)] for field, (before, after) in (changes or {}).items()},
        ip_address=ip_address,
    )


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The values of ``fields`` now, to compare with after a change."""
    return {field: getattr(instance, field) for field in fields}


def changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """The fields whose value differs, as (before, after)."""
    return {field: (before.get(field), value) for field, value in after.items() if before.get(field) != value}


# --- reading the trail ---------------------------------------------------------------------


@dataclass(frozen=True)
class Category:
    label: str
    prefixes: tuple[str, ...]

    def query(self) -> Q:
        condition = Q()
        for prefix in self.prefixes:
            condition |= Q(action__startswith=prefix)
        return condition


# What the log can be filtered by; an action belongs to the category its prefix names.
CATEGORIES: dict[str, Category] = {
    "sign_in": Category("Sign-ins", ("sign_in.",)),
    "user": Category("Users and roles", ("user.",)),
    "api_key": Category("API keys", ("api_key.",)),
    "tracking": Category("Trackers and numbers", ("tracker.", "tracking_number.")),
    "call_flow": Category("Call flows", ("call_flow.",)),
    "integration": Category(
        "Integrations and webhooks",
        (
            "integration.",
            "integration_trigger.",
            "webhook.",
            "conversion_settings.",
        ),
    ),
    "alerts": Category("Alerts and summary emails", ("notification.", "summary_email.")),
    "settings": Category("Account and company settings", ("account.", "company.")),
    "privacy": Category("Erasures", ("erasure.",)),
}

ACTION_LABELS: dict[str, str] = {
    "sign_in.succeeded": "Signed in",
    "sign_in.failed": "Failed to sign in",
    "sign_in.signed_out": "Signed out",
    "user.invited": "Invited a user",
    "user.invitation_resent": "Resent an invitation",
    "user.invitation_canceled": "Canceled an invitation",
    "user.invitation_accepted": "Accepted an invitation",
    "user.updated": "Updated a profile",
    "user.access_changed": "Changed a role or company access",
    "user.deactivated": "Deactivated a user",
    "user.reactivated": "Reactivated a user",
    "user.deleted": "Deleted a user",
    "user.password_changed": "Changed a password",
    "user.sessions_ended": "Signed out other sessions",
    "api_key.created": "Created an API key",
    "api_key.revoked": "Revoked an API key",
    "account.updated": "Changed account settings",
    "company.created": "Created a company",
    "company.updated": "Changed company settings",
    "company.disabled": "Disabled a company",
    "tracker.created": "Created a tracker",
    "tracker.updated": "Changed a tracker",
    "tracker.deleted": "Deleted a tracker",
    "tracking_number.created": "Added a tracking number",
    "tracking_number.updated": "Changed a tracking number",
    "tracking_number.deleted": "Deleted a tracking number",
    "call_flow.created": "Created a call flow",
    "call_flow.updated": "Changed a call flow",
    "call_flow.deleted": "Deleted a call flow",
    "integration.created": "Set up an integration",
    "integration.updated": "Changed an integration",
    "integration_trigger.created": "Added an integration trigger",
    "integration_trigger.updated": "Changed an integration trigger",
    "webhook.test_sent": "Sent a test webhook",
    "webhook.redelivered": "Redelivered a webhook",
    "webhook.signing_key_viewed": "Viewed a webhook signing key",
    "webhook.signing_key_rotated": "Rotated a webhook signing key",
    "conversion_settings.updated": "Changed call conversion settings",
    "conversion_settings.feed_token_rotated": "Rotated the Google Ads feed URL",
    "erasure.requested": "Requested the erasure of a person",
    "notification.created": "Added an alert",
    "notification.updated": "Changed an alert",
    "notification.deleted": "Removed an alert",
    "summary_email.created": "Added a summary email",
    "summary_email.updated": "Changed a summary email",
    "summary_email.deleted": "Removed a summary email",
}


def action_label(action: str) -> str:
    """The action in words; one without a label reads from its name (``thing.done_it`` →
    "Thing: done it")."""
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    subject, _, verb = action.partition(".")
    return f"{subject.replace('_', ' ').capitalize()}: {verb.replace('_', ' ')}" if verb else action


# --- keeping it for the retention period ----------------------------------------------------

PRUNE_BATCH = 5000


def audit_retention_days(account: Account) -> int:
    """Days an account's audit trail is kept: its data retention period (0 keeps everything)."""
    return account.data_retention_days


def audit_log_prune(*, now: datetime | None = None) -> int:
    """Delete entries older than their account's retention period, in short batches.
    Returns how many were deleted."""
    now = now or timezone.now()
    by_days: dict[int, list[int]] = {}
    for account in Account.objects.only("pk", "data_retention_days"):
        by_days.setdefault(audit_retention_days(account), []).append(account.pk)
    deleted = 0
    for days, account_ids in by_days.items():
        if days <= 0:
            continue
        old = AuditEvent.objects.filter(account_id__in=account_ids, created_at__lt=now - timedelta(days=days))
        while True:
            # A bounded batch per statement: a first purge of years of entries holds no long lock.
            batch = list(old.order_by("created_at").values_list("pk", flat=True)[:PRUNE_BATCH])
            if not batch:
                break
            deleted += AuditEvent.objects.filter(pk__in=batch).delete()[0]
    return deleted
