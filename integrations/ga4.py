"""Call conversions sent to Google Analytics 4 through the Measurement Protocol.

One ``phone_call`` event per conversion, under the client id of the visitor's ``_ga`` cookie
(and their GA session id, when the visit had GA4's session cookie), so GA4 joins the call to
the visit's session and its source. The collect URL is the ``GA4_ENDPOINT`` setting.
"""

from __future__ import annotations

import enum
import logging
from datetime import timedelta
from typing import Any

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations.models import CallConversion, ConversionDelivery, ConversionSettings

logger = logging.getLogger(__name__)

EVENT_NAME = "phone_call"
TIMEOUT = 10.0
# GA4 accepts events backdated by at most 72 hours; a later conversion is sent as of now.
MAX_BACKDATE = timedelta(hours=72)
USER_AGENT = "CallTracking-Conversions/1.0"


class Outcome(enum.Enum):
    SENT = "sent"
    REJECTED = "rejected"
    RETRY = "retry"  # a network error, a 5xx or a 429: worth another attempt
    SKIPPED = "skipped"  # already sent, or nothing to send


def ga4_payload(conversion: CallConversion) -> dict[str, Any]:
    call = conversion.call
    params: dict[str, Any] = {
        "call_id": call.public_id,
        "source": call.source or "",
        "duration": call.duration or 0,
        "first_time": bool(call.first_call),
        "currency": conversion.currency,
        # GA4 counts an event toward engagement only with some engagement time.
        "engagement_time_msec": 1,
    }
    if conversion.value is not None:
        params["value"] = float(conversion.value)
    if conversion.ga_session_id:
        params["session_id"] = conversion.ga_session_id
    body: dict[str, Any] = {"client_id": conversion.ga_client_id, "events": [{"name": EVENT_NAME, "params": params}]}
    if timezone.now() - conversion.converted_at < MAX_BACKDATE:
        body["timestamp_micros"] = int(conversion.converted_at.timestamp() * 1_000_000)
    return body


def ga4_send(delivery_pk: int) -> Outcome:
    """One attempt to send a conversion to GA4, written to its delivery log."""
    with transaction.atomic():
        delivery = (
            ConversionDelivery.objects.select_for_update(skip_locked=True)
            .select_related("conversion__call")
            .filter(pk=delivery_pk, destination=ConversionDelivery.Destination.GA4)
            .first()
        )
        if delivery is None or delivery.status != ConversionDelivery.Status.PENDING:
            return Outcome.SKIPPED
        conversion = delivery.conversion
        config = ConversionSettings.objects.filter(company_id=conversion.company_id).first()
        if config is None or not config.ga4_configured:
            return _finish(delivery, Outcome.REJECTED, "GA4 is no longer connected for this company.")
        delivery.attempts += 1
        delivery.last_attempt_at = timezone.now()
        try:
            response = requests.post(
                settings.GA4_ENDPOINT,
                params={"measurement_id": config.ga4_measurement_id, "api_secret": config.ga4_api_secret},
                json=ga4_payload(conversion),
                timeout=TIMEOUT,
                headers={"User-Agent": USER_AGENT},
            )
        except requests.RequestException as exc:
            return _finish(delivery, Outcome.RETRY, f"no answer: {type(exc).__name__}")
        if 200 <= response.status_code < 300:
            return _finish(delivery, Outcome.SENT, "")
        reason = f"HTTP {response.status_code}: {response.text[:500]}".strip()
        if response.status_code >= 500 or response.status_code == 429:
            return _finish(delivery, Outcome.RETRY, reason)
        return _finish(delivery, Outcome.REJECTED, reason)


def ga4_give_up(delivery_pk: int) -> None:
    """Retries exhausted: the delivery failed for good."""
    ConversionDelivery.objects.filter(pk=delivery_pk, status=ConversionDelivery.Status.PENDING).update(
        status=ConversionDelivery.Status.FAILED
    )


def _finish(delivery: ConversionDelivery, outcome: Outcome, reason: str) -> Outcome:
    delivery.reason = reason
    if outcome is Outcome.SENT:
        delivery.status = ConversionDelivery.Status.SENT
        delivery.sent_at = timezone.now()
    elif outcome is Outcome.REJECTED:
        delivery.status = ConversionDelivery.Status.REJECTED
    delivery.save()
    if outcome is Outcome.RETRY:
        logger.info("GA4 delivery %s will be retried: %s", delivery.pk, reason)
    return outcome
