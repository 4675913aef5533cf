"""Calls that count as conversions for the ad platforms: each company's rule, the conversions
it records (once per call), the Google Ads feed of them, and what was sent where.

A finished call is judged when it completes and whenever it is changed afterwards (a tag
added, marked a good lead): a call that starts to qualify is recorded then and queued for
the platforms the company connected (``integrations.google_ads``, ``integrations.ga4``); a
call that stops qualifying is not retracted, only marked.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record, changed, snapshot
from accounts.models import Company
from callrail.deferred.services import enqueue_or_defer_on_commit
from integrations.models import CallConversion, ConversionDelivery, ConversionSettings
from telephony.models import Call

logger = logging.getLogger(__name__)

# Google accepts offline conversions for clicks of the last 90 days.
FEED_WINDOW = timedelta(days=90)
# Google's click-conversion template: these columns, in this order (gbraid/wbraid after them).
FEED_COLUMNS = (
    "Google Click ID",
    "Conversion Name",
    "Conversion Time",
    "Conversion Value",
    "Conversion Currency",
    "GBRAID",
    "WBRAID",
)
FEED_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
LIVE_STATUSES = (Call.Status.QUEUED, Call.Status.RINGING, Call.Status.IN_PROGRESS)
# GA's client id: the last two fields of the _ga cookie (GA1.1.<random>.<first visit>).
_GA_CLIENT_ID = re.compile(r"^GA\d\.\d+\.(\d+\.\d+)$")
# GA4's session cookie _ga_<id>: GS1.1.<session id>.… or GS2.1.s<session id>$o1$…
_GA_SESSION_ID = re.compile(r"^GS1\.\d+\.(\d+)\.|^GS2\.\d+\.s(\d+)")


@dataclass(frozen=True)
class Rule:
    """A company's conversion rule (``ConversionSettings``'s rule fields)."""

    enabled: bool = False
    min_duration: int = 0
    answered_only: bool = True
    first_time_only: bool = False
    good_lead_only: bool = False
    tags: tuple[str, ...] = ()

    @classmethod
    def of(cls, settings: ConversionSettings) -> Rule:
        return cls(
            enabled=settings.enabled,
            min_duration=settings.min_duration,
            answered_only=settings.answered_only,
            first_time_only=settings.first_time_only,
            good_lead_only=settings.good_lead_only,
            tags=tuple(settings.tags or ()),
        )


def call_qualifies(call: Call, rule: Rule, tag_names: set[str] | None = None) -> bool:
    """Whether a finished inbound call meets the rule (``tag_names``: the call's tags, if loaded)."""
    if not rule.enabled or call.direction != Call.Direction.INBOUND or call.spam or call.status in LIVE_STATUSES:
        return False
    if rule.answered_only and not call.answered:
        return False
    if (call.duration or 0) < rule.min_duration:
        return False
    if rule.first_time_only and not call.first_call:
        return False
    if rule.good_lead_only and call.lead_status != Call.LeadStatus.GOOD_LEAD:
        return False
    if rule.tags:
        names = tag_names if tag_names is not None else set(call.tags.values_list("name", flat=True))
        if not names & set(rule.tags):
            return False
    return True


def click_id_of(call: Call) -> tuple[str, str]:
    """(click id, its type) for Google Ads: the visit's gclid, else a gclid, gbraid or wbraid
    (iOS app and web clicks) in its landing page's query."""
    if call.gclid:
        return call.gclid, CallConversion.ClickIdType.GCLID
    query = parse_qs(urlsplit(call.landing_page_url or "").query)
    for kind in CallConversion.ClickIdType:
        values = query.get(kind.value)
        if values and values[0]:
            return values[0][:255], kind.value
    return "", ""


def ga_ids(cookies: dict[str, Any] | None) -> tuple[str, str]:
    """(client id, session id) of GA4 from the visit's cookies (``_ga``, ``_ga_<id>``)."""
    cookies = cookies or {}
    match = _GA_CLIENT_ID.match(str(cookies.get("_ga", "")))
    client_id = match.group(1) if match else ""
    session_id = ""
    for name, value in cookies.items():
        found = _GA_SESSION_ID.match(str(value)) if name.startswith("_ga_") else None
        if found:
            session_id = found.group(1) or found.group(2)
            break
    return client_id, session_id


# --- settings ----------------------------------------------------------------------------


def conversion_settings_get(company: Company) -> ConversionSettings | None:
    return ConversionSettings.objects.filter(company=company).first()


RULE_FIELDS = ("enabled", "min_duration", "answered_only", "first_time_only", "good_lead_only", "tags", "name")
CREDENTIAL_FIELDS = (
    "ga4_measurement_id",
    "ga4_api_secret",
    "google_ads_customer_id",
    "google_ads_login_customer_id",
    "google_ads_conversion_action",
    "google_ads_developer_token",
    "google_ads_refresh_token",
)
# Write-only: the audit trail says they were set, changed or removed, never their value.
SECRET_FIELDS = ("ga4_api_secret", "google_ads_developer_token", "google_ads_refresh_token")
AUDITED_FIELDS = (*RULE_FIELDS, "value", "currency", *CREDENTIAL_FIELDS)


def _audit_view(values: dict[str, Any]) -> dict[str, Any]:
    return {key: ("set" if value else "not set") if key in SECRET_FIELDS else value for key, value in values.items()}


@transaction.atomic
def conversion_settings_update(
    *, company: Company, call_conversion: dict[str, Any] | None = None, **credentials: str
) -> ConversionSettings:
    """Change a company's rule (``call_conversion``: any of its keys) and platform credentials."""
    settings, _ = ConversionSettings.objects.select_for_update().get_or_create(
        company=company, defaults={"account_id": company.account_id}
    )
    before = snapshot(settings, AUDITED_FIELDS)
    for key, value in (call_conversion or {}).items():
        if key in RULE_FIELDS or key in ("value", "currency"):
            setattr(settings, key, value)
    for key, value in credentials.items():
        if key not in CREDENTIAL_FIELDS:
            raise TypeError(f"unknown credential {key}")
        setattr(settings, key, value or "")
    settings.save()
    after = snapshot(settings, AUDITED_FIELDS)
    difference = changed(_audit_view(before), _audit_view(after))
    for key in SECRET_FIELDS:
        if key not in difference and before[key] and after[key] != before[key]:
            difference[key] = ("set", "changed")
    if difference:
        audit_record(
            account=company.account_id, action="conversion_settings.updated", target=settings, changes=difference
        )
    return settings


def feed_token_rotate(*, company: Company) -> ConversionSettings:
    """A new secret for the feed URL: the old URL stops working at once."""
    settings = conversion_settings_update(company=company)
    settings.feed_token = secrets.token_urlsafe(24)
    settings.save(update_fields=["feed_token", "updated_at"])
    audit_record(account=company.account_id, action="conversion_settings.feed_token_rotated", target=settings)
    return settings


def feed_path(settings: ConversionSettings) -> str:
    return f"/conversions/google-ads/{settings.company.public_id}/{settings.feed_token}.csv"


# --- recording conversions ---------------------------------------------------------------


def call_conversion_evaluate(call: Call) -> CallConversion | None:
    """Record the call as a conversion if it now qualifies and was not one yet, and queue it for
    the company's platforms; mark it if it stopped qualifying. Returns its conversion, if any."""
    settings = ConversionSettings.objects.filter(company_id=call.company_id).first()
    if settings is None:
        return None
    conversion = CallConversion.objects.filter(call=call).first()
    qualifies = call_qualifies(call, Rule.of(settings))
    if conversion is not None:
        # Sent stays sent: a call that stops qualifying is marked, and unmarked if it qualifies again.
        marked = conversion.no_longer_qualifies_at is not None
        if marked == qualifies:
            conversion.no_longer_qualifies_at = None if qualifies else timezone.now()
            conversion.save(update_fields=["no_longer_qualifies_at"])
        return conversion
    if not qualifies:
        return None
    click_id, click_id_type = click_id_of(call)
    client_id, session_id = ga_ids(call.cookies)
    conversion = CallConversion.objects.create(
        account_id=call.account_id,
        company_id=call.company_id,
        call=call,
        name=settings.name,
        converted_at=call.start_time,
        value=settings.value if settings.value is not None else call.value,
        currency=settings.currency,
        click_id=click_id,
        click_id_type=click_id_type,
        ga_client_id=client_id,
        ga_session_id=session_id,
    )
    _deliveries_queue(settings, conversion)
    return conversion


def _deliveries_queue(settings: ConversionSettings, conversion: CallConversion) -> None:
    # Imported here: the task module imports the platform modules, which import this one.
    from integrations.tasks import conversion_ga4_send, conversion_google_ads_upload

    if settings.google_ads_configured and conversion.click_id:
        ConversionDelivery.objects.create(conversion=conversion, destination=ConversionDelivery.Destination.GOOGLE_ADS)
        enqueue_or_defer_on_commit(conversion_google_ads_upload, conversion.company_id)
    if settings.ga4_configured and conversion.ga_client_id:
        delivery = ConversionDelivery.objects.create(
            conversion=conversion, destination=ConversionDelivery.Destination.GA4
        )
        enqueue_or_defer_on_commit(conversion_ga4_send, delivery.pk)


# --- the Google Ads feed -----------------------------------------------------------------


def _amount(value: Decimal | None) -> str:
    return f"{value:.2f}" if value is not None else ""


def google_ads_feed_csv(company: Company) -> str:
    """The company's conversions of the last 90 days that carry a Google click id, as Google's
    click-conversion CSV template: a ``Parameters:TimeZone`` line, then the columns."""
    zone = ZoneInfo(company.time_zone)
    rows = (
        CallConversion.objects.filter(company=company, converted_at__gte=timezone.now() - FEED_WINDOW)
        .exclude(click_id="")
        .order_by("converted_at", "pk")
    )
    out = io.StringIO()
    out.write(f"Parameters:TimeZone={company.time_zone}\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FEED_COLUMNS)
    for conversion in rows:
        kind = conversion.click_id_type
        ids = {kind: conversion.click_id}
        writer.writerow(
            (
                ids.get(CallConversion.ClickIdType.GCLID, ""),
                conversion.name,
                timezone.localtime(conversion.converted_at, zone).strftime(FEED_TIME_FORMAT),
                _amount(conversion.value),
                conversion.currency,
                ids.get(CallConversion.ClickIdType.GBRAID, ""),
                ids.get(CallConversion.ClickIdType.WBRAID, ""),
            )
        )
    return out.getvalue()


def google_ads_feed_company(company_public_id: str, token: str) -> Company | None:
    """The company whose feed the URL names, if its token is right (compared in constant time)."""
    settings = ConversionSettings.objects.select_related("company").filter(company__public_id=company_public_id).first()
    if settings is None or not secrets.compare_digest(settings.feed_token.encode(), token.encode()):
        return None
    return settings.company


# --- what was sent where -----------------------------------------------------------------


def call_conversion_status(call: Call) -> dict[str, Any]:
    """Whether the call is a conversion and what became of it at each platform, for the call's
    page: ``{"conversion": bool, "name", "value", "currency", "no_longer_qualifies",
    "destinations": {"google_ads": {"status", "reason", "attempts", "sent_at"} | None, "ga4": ...}}``."""
    conversion = CallConversion.objects.filter(call=call).prefetch_related("deliveries").first()
    destinations: dict[str, dict[str, Any] | None] = {d.value: None for d in ConversionDelivery.Destination}
    if conversion is None:
        return {
            "conversion": False,
            "name": None,
            "value": None,
            "currency": None,
            "no_longer_qualifies": False,
            "destinations": destinations,
        }
    for delivery in conversion.deliveries.all():
        destinations[delivery.destination] = {
            "status": delivery.status,
            "reason": delivery.reason,
            "attempts": delivery.attempts,
            "sent_at": delivery.sent_at,
        }
    return {
        "conversion": True,
        "name": conversion.name,
        "value": conversion.value,
        "currency": conversion.currency,
        "no_longer_qualifies": conversion.no_longer_qualifies_at is not None,
        "destinations": destinations,
    }


# --- receivers ---------------------------------------------------------------------------


def on_call_changed(sender: Any, *, call: Call, **kwargs: Any) -> None:
    """A call completed or was changed: judge it again. In a savepoint, errors swallowed: a
    conversion problem must never fail the call's own change."""
    if call.direction != Call.Direction.INBOUND or call.status in LIVE_STATUSES:
        return
    try:
        with transaction.atomic():
            call_conversion_evaluate(call)
    except Exception:
        logger.exception("conversion of call %s not evaluated", call.pk)


def connect() -> None:
    from telephony import signals as telephony_signals

    telephony_signals.call_completed.connect(on_call_changed, dispatch_uid="conversions.call_completed")
    telephony_signals.call_modified.connect(on_call_changed, dispatch_uid="conversions.call_modified")
