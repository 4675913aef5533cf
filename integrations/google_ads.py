"""Call conversions uploaded to Google Ads through its API, with Google's client library.

A company's pending conversions go up in one ``UploadClickConversions`` request with partial
failure on: Google accepts the good ones and says, per conversion, why it refused the others;
each conversion's delivery log records its own result. A request that fails as a whole with a
transient error (quota, unavailable) leaves the deliveries pending for the task to retry.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from google.ads.googleads.client import GoogleAdsClient
from google.ads.googleads.errors import GoogleAdsException
from google.api_core import exceptions as google_exceptions
from google.auth.exceptions import RefreshError, TransportError

from integrations.models import CallConversion, ConversionDelivery, ConversionSettings

logger = logging.getLogger(__name__)

# The Google Ads API version the requests are built for (one the pinned library supports).
API_VERSION = "v26"
# At most this many conversions per request (Google allows 2,000).
BATCH_SIZE = 2000
# Google's time format for conversions: "yyyy-mm-dd hh:mm:ss+|-hh:mm".
TIME_FORMAT = "%Y-%m-%d %H:%M:%S%z"
# Whole-request failures worth retrying: Google asks to slow down, or is unavailable.
TRANSIENT = (
    google_exceptions.TooManyRequests,
    google_exceptions.ServiceUnavailable,
    google_exceptions.InternalServerError,
    google_exceptions.DeadlineExceeded,
)


class Outcome(enum.Enum):
    DONE = "done"  # every delivery has a result (sent or rejected)
    RETRY = "retry"  # the request failed as a whole for a transient reason
    SKIPPED = "skipped"  # nothing pending, or Google Ads not connected


@dataclass(frozen=True)
class Result:
    """What Google said about one conversion of a request: refused (``error``) or accepted."""

    error: str = ""


def google_ads_client(config: ConversionSettings) -> GoogleAdsClient:
    """A client authorised with the company's refresh token and developer token."""
    values: dict[str, Any] = {
        "developer_token": config.google_ads_developer_token,
        "refresh_token": config.google_ads_refresh_token,
        "client_id": settings.GOOGLE_ADS_CLIENT_ID,
        "client_secret": settings.GOOGLE_ADS_CLIENT_SECRET,
        "use_proto_plus": True,
    }
    if config.google_ads_login_customer_id:
        values["login_customer_id"] = config.google_ads_login_customer_id
    return GoogleAdsClient.load_from_dict(values, version=API_VERSION)


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def conversion_time(conversion: CallConversion, time_zone: str) -> str:
    text = timezone.localtime(conversion.converted_at, ZoneInfo(time_zone)).strftime(TIME_FORMAT)
    return f"{text[:-2]}:{text[-2:]}"  # +hhmm -> +hh:mm


def upload_request(
    client: GoogleAdsClient, config: ConversionSettings, conversions: list[CallConversion], time_zone: str
) -> Any:
    """The ``UploadClickConversionsRequest`` for these conversions, in their order."""
    customer_id = _digits(config.google_ads_customer_id)
    action = client.get_service("ConversionActionService").conversion_action_path(
        customer_id, _digits(config.google_ads_conversion_action)
    )
    request = client.get_type("UploadClickConversionsRequest")
    request.customer_id = customer_id
    request.partial_failure = True
    for conversion in conversions:
        click = client.get_type("ClickConversion")
        setattr(click, conversion.click_id_type, conversion.click_id)
        click.conversion_action = action
        click.conversion_date_time = conversion_time(conversion, time_zone)
        if conversion.value is not None:
            click.conversion_value = float(conversion.value)
            click.currency_code = conversion.currency
        request.conversions.append(click)
    return request


def upload_results(client: GoogleAdsClient, response: Any, count: int) -> list[Result]:
    """One ``Result`` per conversion of the request, from the response's partial failure error."""
    errors: dict[int, list[str]] = {}
    failure_type = type(client.get_type("GoogleAdsFailure"))
    for detail in response.partial_failure_error.details:
        failure = failure_type.deserialize(detail.value)
        for error in failure.errors:
            index = next((e.index for e in error.location.field_path_elements if e.field_name == "conversions"), None)
            if index is not None:
                code = _error_code(error)
                errors.setdefault(int(index), []).append(f"{code}: {error.message}" if code else error.message)
    return [Result(error="; ".join(errors.get(i, []))) for i in range(count)]


def _error_code(error: Any) -> str:
    # The error code is a oneof of enums: "conversion_upload_error.UNPARSEABLE_GCLID".
    kind = type(error.error_code).pb(error.error_code).WhichOneof("error_code")
    if not kind:
        return ""
    value = getattr(error.error_code, kind)
    return f"{kind}.{getattr(value, 'name', value)}"


def google_ads_upload(company_id: int) -> Outcome:
    """Upload the company's pending Google Ads conversions; record each one's result."""
    config = ConversionSettings.objects.select_related("company").filter(company_id=company_id).first()
    with transaction.atomic():
        deliveries = list(
            ConversionDelivery.objects.select_for_update(skip_locked=True)
            .select_related("conversion")
            .filter(
                conversion__company_id=company_id,
                destination=ConversionDelivery.Destination.GOOGLE_ADS,
                status=ConversionDelivery.Status.PENDING,
            )
            .order_by("pk")[:BATCH_SIZE]
        )
        if not deliveries:
            return Outcome.SKIPPED
        now = timezone.now()
        if config is None or not config.google_ads_configured:
            errors = ["Google Ads is no longer connected for this company."] * len(deliveries)
        else:
            sent = _send(config, deliveries)
            if isinstance(sent, Exception):
                for delivery in deliveries:
                    delivery.attempts += 1
                    delivery.last_attempt_at = now
                    delivery.reason = f"will retry: {sent}"[:1000]
                    delivery.save()
                return Outcome.RETRY
            errors = sent
        for delivery, error in zip(deliveries, errors, strict=True):
            _record(delivery, now, error=error)
        return Outcome.DONE


def _send(config: ConversionSettings, deliveries: list[ConversionDelivery]) -> list[str] | Exception:
    """Each delivery's error ("" when accepted), or the transient exception that failed the whole request."""
    try:
        # Exchanges the refresh token for an access token (a request to Google's OAuth server).
        client = google_ads_client(config)
        request = upload_request(client, config, [d.conversion for d in deliveries], config.company.time_zone)
        response = client.get_service("ConversionUploadService").upload_click_conversions(request=request)
    except RefreshError as exc:
        # The refresh token was revoked or belongs to another OAuth client: no retry helps.
        return [f"Google refused the OAuth credentials: {exc}"] * len(deliveries)
    except GoogleAdsException as exc:
        # Refused as a whole (bad credentials, customer or action): every conversion says why.
        reason = "; ".join(error.message for error in exc.failure.errors) or str(exc.error)
        return [reason] * len(deliveries)
    except (*TRANSIENT, TransportError) as exc:
        return exc
    return [result.error for result in upload_results(client, response, len(deliveries))]


def google_ads_give_up(company_id: int) -> None:
    """Retries exhausted: the company's pending uploads failed for good."""
    ConversionDelivery.objects.filter(
        conversion__company_id=company_id,
        destination=ConversionDelivery.Destination.GOOGLE_ADS,
        status=ConversionDelivery.Status.PENDING,
    ).update(status=ConversionDelivery.Status.FAILED)


def _record(delivery: ConversionDelivery, now: Any, *, error: str) -> None:
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.reason = error[:2000]
    if error:
        delivery.status = ConversionDelivery.Status.REJECTED
    else:
        delivery.status = ConversionDelivery.Status.SENT
        delivery.sent_at = now
    delivery.save()
