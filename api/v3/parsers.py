"""Request bodies: JSON only (reference "Status Codes": 406 when "parameters were
supplied in an unacceptable format ... For other requests, verify that parameters
are sent as JSON")."""

from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.parsers import BaseParser

from callrail.json_body import MAX_DEPTH, JSONTooDeep, json_loads_bounded


class NotAcceptableParameters(exceptions.APIException):
    status_code = status.HTTP_406_NOT_ACCEPTABLE
    default_detail = "Request parameters must be sent as a JSON body."


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."


class BodyTooDeep(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = f"The JSON body is nested more than {MAX_DEPTH} levels deep."


def _declared_length(parser_context: Mapping[str, Any] | None) -> int:
    request = (parser_context or {}).get("request")
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
    except ValueError:
        return 0


class JSONBodyParser(BaseParser):
    """Parses every request body as JSON, whatever its Content-Type.

    The reference's own curl examples (``companies/bulk_update``) send JSON with
    ``-d`` and no ``-H "Content-Type: application/json"``, so curl labels the body
    form-encoded; clients copying them must work. What matters is the body: JSON is
    accepted, anything else (form fields, multipart, malformed JSON) is a 406.
    An empty body is an empty object. Bodies over ``API_MAX_BODY_BYTES`` are refused
    (413) without being read whole, and nesting is bounded (400).
    """

    media_type = "*/*"

    def parse(
        self, stream: IO[bytes], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        limit = settings.API_MAX_BODY_BYTES
        if _declared_length(parser_context) > limit:
            raise BodyTooLarge(f"The request body is too large ({limit} bytes at most).")
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise BodyTooLarge(f"The request body is too large ({limit} bytes at most).")
        if not raw.strip():
            return {}
        try:
            return json_loads_bounded(raw.decode("utf-8"))
        except JSONTooDeep as exc:
            raise BodyTooDeep() from exc
        except (UnicodeDecodeError, ValueError) as exc:
            raise NotAcceptableParameters() from exc
