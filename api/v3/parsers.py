"""Request bodies: JSON only (reference "Status Codes": 406 when "parameters were
supplied in an unacceptable format ... For other requests, verify that parameters
are sent as JSON")."""

import json
from collections.abc import Mapping
from typing import IO, Any

from rest_framework import exceptions, status
from rest_framework.parsers import BaseParser


class NotAcceptableParameters(exceptions.APIException):
    status_code = status.HTTP_406_NOT_ACCEPTABLE
    default_detail = "Request parameters must be sent as a JSON body."


class JSONBodyParser(BaseParser):
    """Parses every request body as JSON, whatever its Content-Type.

    The reference's own curl examples (``companies/bulk_update``) send JSON with
    ``-d`` and no ``-H "Content-Type: application/json"``, so curl labels the body
    form-encoded; clients copying them must work. What matters is the body: JSON is
    accepted, anything else (form fields, multipart, malformed JSON) is a 406.
    An empty body is an empty object.
    """

    media_type = "*/*"

    def parse(
        self, stream: IO[bytes], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        raw = stream.read() if stream is not None else b""
        if not raw.strip():
            return {}
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise NotAcceptableParameters() from exc
