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


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None

    if isinstance(exc, exceptions.UnsupportedMediaType):
        # Reference: 406 when non-GET parameters are not sent as JSON.
        response.status_code = status.HTTP_406_NOT_ACCEPTABLE
        message = NOT_ACCEPTABLE_MESSAGE
    elif isinstance(exc, exceptions.ParseError):
        response.status_code = status.HTTP_406_NOT_ACCEPTABLE
        message = NOT_ACCEPTABLE_MESSAGE
    elif isinstance(exc, exceptions.PermissionDenied):
        message = PERMISSION_MESSAGE
    elif isinstance(exc, exceptions.NotFound):
        message = str(exc.detail) if str(exc.detail) != exceptions.NotFound.default_detail else "Not found"
    elif isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        message = "HTTP Token: Access denied."
    elif isinstance(exc, exceptions.Throttled) and not isinstance(exc, RateLimitExceeded):
        message = "Rate limit exceeded."
    else:
        message = "; ".join(_flatten(exc.detail)) or "Bad request."
    response.data = {"error": message}
    return response
