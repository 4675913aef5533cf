"""CallRail's offset pagination envelope: page, per_page, total_pages, total_records."""

import base64
import binascii
import json
import math
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from rest_framework import exceptions
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response

from callrail.keyset import keyset_after

DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 250


def positive_int(value: Any, default: int, maximum: int | None = None) -> int:
    """Lenient integer parsing: CallRail ignores junk paging values rather than failing."""
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return default
    if number < 1:
        return default
    return min(number, maximum) if maximum else number


class OffsetPagination(BasePagination):
    def paginate_queryset(self, queryset: QuerySet, request: Request, view: Any = None) -> list[Any]:
        if not queryset.ordered:
            # An unordered page is a random page: refuse rather than serve it.
            raise RuntimeError(f"{view.__class__.__name__} paginates an unordered queryset")
        self.request = request
        self.resource_name = getattr(view, "resource_name", "results")
        self.per_page = positive_int(request.query_params.get("per_page"), DEFAULT_PER_PAGE, MAX_PER_PAGE)
        self.page = positive_int(request.query_params.get("page"), 1)
        self.total_records = queryset.count()
        start = (self.page - 1) * self.per_page
        if start >= self.total_records:
            return []
        return list(queryset[start : start + self.per_page])

    def get_paginated_response(self, data: list[Any]) -> Response:
        total_pages = math.ceil(self.total_records / self.per_page) if self.total_records else 0
        response = Response(
            {
                "page": self.page,
                "per_page": self.per_page,
                "total_pages": total_pages,
                "total_records": self.total_records,
                self.resource_name: data,
            }
        )
        links = self.link_header(total_pages)
        if links:
            response["Link"] = links
        return response

    def page_url(self, page: int) -> str:
        params = self.request.query_params.copy()
        params["page"] = str(page)
        params["per_page"] = str(self.per_page)
        return self.request.build_absolute_uri(self.request.path) + "?" + params.urlencode()

    def link_header(self, total_pages: int) -> str:
        """RFC 8288 ``Link`` relations (next, prev, first, last).

        CallRail sends them, and some clients page by them instead of by the body
        (the Airbyte connector follows ``rel="next"`` until it is absent).
        """
        relations: list[tuple[int, str]] = []
        if self.page < total_pages:
            relations.append((self.page + 1, "next"))
        if 1 < self.page <= total_pages:
            relations.append((self.page - 1, "prev"))
        if total_pages:
            relations += [(1, "first"), (total_pages, "last")]
        return ", ".join(f'<{self.page_url(page)}>; rel="{rel}"' for page, rel in relations)

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        # The OpenAPI generator sets resource_name (api/v3/schema.py). A collection that
        # honours relative_pagination=true answers next_page/has_next_page instead of the
        # page counts, so neither set is required.
        resource_name = getattr(self, "resource_name", None)
        collection = {resource_name: schema} if resource_name else {}
        return {
            "type": "object",
            "properties": {
                "page": {"type": "integer"},
                "per_page": {"type": "integer"},
                "total_pages": {"type": "integer"},
                "total_records": {"type": "integer"},
                "next_page": {"type": "string", "nullable": True},
                "has_next_page": {"type": "boolean"},
                **collection,
            },
            "required": [resource_name] if resource_name else [],
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": "page",
                "in": "query",
                "required": False,
                "description": "Page number, from 1.",
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": "per_page",
                "in": "query",
                "required": False,
                "description": f"Records per page (default {DEFAULT_PER_PAGE}, at most {MAX_PER_PAGE}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
            },
        ]


class RelativePagination(BasePagination):
    """CallRail's relative pagination for the call list (``relative_pagination=true``).

    Each page ends with a ``next_page`` URL carrying a keyset cursor: the sort key and
    id of the page's last row. Following it runs ``WHERE (key, id) < (last key, last id)
    ORDER BY key DESC, id DESC LIMIT n`` on the (account|company, start_time, id)
    indexes, so the 1,000th page costs what the first does; no OFFSET is involved.

    ``offset`` is the 0-based page index (the reference: ``offset=9`` is the 10th page).
    Clients that follow ``next_page`` always send the cursor with it. A client that
    jumps straight to ``offset=N`` without a cursor gets that page by counting rows,
    which is the only way to find the N-th page without having walked to it.
    """

    cursor_param = "cursor"

    def paginate_queryset(self, queryset: QuerySet, request: Request, view: Any = None) -> list[Any]:
        order = list(queryset.query.order_by)
        if len(order) != 2 or order[1].lstrip("-") != "id":
            raise RuntimeError(f"{view.__class__.__name__} must order relative pages by (key, id)")
        self.request = request
        self.resource_name = getattr(view, "resource_name", "results")
        self.per_page = positive_int(request.query_params.get("per_page"), DEFAULT_PER_PAGE, MAX_PER_PAGE)
        self.offset = non_negative_int(request.query_params.get("offset"), 0)
        self.key_field = order[0].lstrip("-")
        self.descending = order[0].startswith("-")

        token = request.query_params.get(self.cursor_param)
        if token:
            key, last_id = decode_cursor(token)
            queryset = queryset.filter(keyset_after(self.key_field, key, last_id, descending=self.descending))
            rows = list(queryset[: self.per_page + 1])
        else:
            start = self.offset * self.per_page
            rows = list(queryset[start : start + self.per_page + 1])
        self.has_next_page = len(rows) > self.per_page
        rows = rows[: self.per_page]
        self.last_row = rows[-1] if rows else None
        return rows

    def next_page_url(self) -> str | None:
        if not self.has_next_page or self.last_row is None:
            return None
        params = self.request.query_params.copy()
        params[self.cursor_param] = encode_cursor(getattr(self.last_row, self.key_field), self.last_row.pk)
        params["offset"] = str(self.offset + 1)
        params["relative_pagination"] = "true"
        params["per_page"] = str(self.per_page)
        return self.request.build_absolute_uri(self.request.path) + "?" + params.urlencode()

    def get_paginated_response(self, data: list[Any]) -> Response:
        return Response(
            {
                "next_page": self.next_page_url(),
                "has_next_page": self.has_next_page,
                self.resource_name: data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {
                "next_page": {"type": "string", "nullable": True},
                "has_next_page": {"type": "boolean"},
            },
            "additionalProperties": schema,
        }


def non_negative_int(value: Any, default: int) -> int:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return default
    return number if number >= 0 else default


def encode_cursor(key: Any, last_id: int) -> str:
    payload = ["dt", key.isoformat(), last_id] if isinstance(key, datetime) else ["v", key, last_id]
    raw = json.dumps(payload, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str) -> tuple[Any, int]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        kind, key, last_id = json.loads(raw)
        if kind == "dt":
            key = datetime.fromisoformat(key)
        if not isinstance(last_id, int):
            raise ValueError(last_id)
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError) as exc:
        raise exceptions.ValidationError("Invalid cursor: use the next_page URL as given.") from exc
    return key, last_id
