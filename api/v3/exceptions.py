"""Every error leaves the API as ``{"error": "<message>"}`` with the reference's status code."""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from api.v3.throttling import RateLimitExceeded

PERMISSION_MESSAGE = "You do not have permission to perform the requested action"
NOT_ACCEPTABLE_MESSAGE = (
    "Request parameters were supplied in an unacceptable format: send GET parameters in the URL "
    "and other requests' parameters as a JSON body."
)


class BadRequest(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "Bad request."


class Unprocessable(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "Unprocessable entity."


def _flatten(detail: Any, field: str | None = None) -> list[str]:
    """Turn DRF's nested error details into readable sentences."""
    if isinstance(detail, dict):
        messages: list[str] = []
        for key, value in detail.items():
            messages.extend(_flatten(value, None if key in ("non_field_errors", "detail") else key))
        return messages
    if isinstance(detail, list):
        messages = []
        for item in detail:
            messages.extend(_flatten(item, field))
        return messages
    text = str(detail)
    return [f"{field}: {text}" if field else text]


def error_response(message: str, status_code: int) -> Response:
    return Response({"error": message}, status=status_code)


def _as_drf_exception(exc: Exception) -> Exception:
    """Django's own errors as the DRF exceptions they mean; any other exception as it is."""
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    return exc


def _error_message(exc: exceptions.APIException) -> str:
    """The reference's ``error`` text for ``exc``."""
    if isinstance(exc, (exceptions.UnsupportedMediaType, exceptions.ParseError)):
        return NOT_ACCEPTABLE_MESSAGE
    if isinstance(exc, exceptions.PermissionDenied):
        return PERMISSION_MESSAGE
    if isinstance(exc, exceptions.NotFound):
        return str(exc.detail) if str(exc.detail) != exceptions.NotFound.default_detail else "Not found"
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        return "HTTP Token: Access denied."
    if isinstance(exc, exceptions.Throttled) and not isinstance(exc, RateLimitExceeded):
        return "Rate limit exceeded."
    return "; ".join(_flatten(exc.detail)) or "Bad request."


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    exc = _as_drf_exception(exc)
    response = drf_exception_handler(exc, context)
    # DRF answers only its own exceptions; anything else is left to Django (a 500).
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, (exceptions.UnsupportedMediaType, exceptions.ParseError)):
        # Reference: 406 when non-GET parameters are not sent as JSON.
        response.status_code = status.HTTP_406_NOT_ACCEPTABLE
    response.data = {"error": _error_message(exc)}
    return response
