"""CallRail's offset pagination envelope: page, per_page, total_pages, total_records."""

import base64
import binascii
import hashlib
import json
import logging
import math
from datetime import datetime
from typing import Any

import redis
from django.core.exceptions import FieldDoesNotExist
from django.db.models import QuerySet
from rest_framework import exceptions
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response

from callrail.keyset import keyset_after
from callrail.redis import get_redis

logger = logging.getLogger(__name__)

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
    Clients that follow ``next_page`` send the cursor with it. A client that asks for
    ``offset=N`` without one (CallRail's own ``next_page`` links carry only ``offset``,
    and some clients build page URLs themselves) gets the same keyset seek, from where
    the page starts:

    - a client walking by offset finds it in ``PageStarts``, where serving page N-1
      recorded it, so its pages cost what cursor pages cost;
    - a jump to a page not served recently reads it with ``page_start``: the (key, id)
      of the row before the page, taken from the sort index alone. That still steps
      over the rows before it (a B-tree has no rank), but over two-column entries in
      an index-only scan, not over full rows with their joins and per-row subqueries,
      which is what ``OFFSET`` on the page query itself would build and throw away.
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
        after = decode_cursor(token) if token else None
        starts = PageStarts(request) if after is None and self.offset else None
        if starts is not None:
            after = starts.get(self.offset)
            if after is None:
                after = page_start(queryset, self.key_field, self.offset * self.per_page)
                if after is None:
                    # Past the last row: an empty page, without fetching anything else.
                    self.has_next_page, self.last_row = False, None
                    return []
                starts.put(self.offset, after)
        if after is not None:
            key, last_id = after
            nullable = nullable_field(queryset.model, self.key_field)
            queryset = queryset.filter(
                keyset_after(self.key_field, key, last_id, descending=self.descending, nullable=nullable)
            )
        rows = list(queryset[: self.per_page + 1])
        self.has_next_page = len(rows) > self.per_page
        rows = rows[: self.per_page]
        self.last_row = rows[-1] if rows else None
        if starts is not None and self.has_next_page and self.last_row is not None:
            starts.put(self.offset + 1, (getattr(self.last_row, self.key_field), self.last_row.pk))
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


class PageStarts:
    """Where the relative pages of one query start, by offset, as recently served.

    Kept in Redis per user and query (path and parameters, without ``offset``,
    ``cursor`` and ``page``) for ``TTL`` seconds after the last page served. A page
    found here starts exactly where the client's previous page ended, as a cursor
    would (rows that arrived since do not shift it; the reference allows either).
    Redis being unavailable only costs speed: the start is then read from the index.
    """

    TTL = 600
    IGNORED = frozenset({"offset", "cursor", "page"})

    def __init__(self, request: Request) -> None:
        params = sorted(
            (name, value)
            for name, values in request.query_params.lists()
            if name not in self.IGNORED
            for value in values
        )
        user = getattr(request.user, "pk", None)
        digest = hashlib.sha256(json.dumps([user, request.path, params]).encode()).hexdigest()[:32]
        self.key = f"relpages:{digest}"

    def get(self, offset: int) -> tuple[Any, int] | None:
        try:
            token = get_redis().hget(self.key, str(offset))
        except redis.RedisError:
            logger.warning("page start lookup skipped: Redis unavailable", exc_info=True)
            return None
        if token is None:
            return None
        try:
            return decode_cursor(token.decode())
        except exceptions.ValidationError:
            return None

    def put(self, offset: int, start: tuple[Any, int]) -> None:
        try:
            pipeline = get_redis().pipeline(transaction=False)
            pipeline.hset(self.key, str(offset), encode_cursor(*start))
            pipeline.expire(self.key, self.TTL)
            pipeline.execute()
        except redis.RedisError:
            logger.warning("page start not kept: Redis unavailable", exc_info=True)


def page_start(queryset: QuerySet, key_field: str, position: int) -> tuple[Any, int] | None:
    """The (key, id) of the row at ``position - 1`` in the queryset's (key, id) order, or
    None when there are not that many rows; the page at ``position`` starts after it.

    Only the key and the id are selected, with the page's joins, prefetches and
    annotations left out, so on the default call order PostgreSQL steps over the
    preceding rows in an index-only scan of (account|company, start_time, id).
    """
    narrow = queryset.select_related(None).prefetch_related(None).values_list(key_field, "pk")
    found = list(narrow[position - 1 : position])
    return found[0] if found else None


def nullable_field(model: Any, name: str) -> bool:
    """Whether ``name`` is a nullable column of ``model`` (annotations are not)."""
    try:
        return bool(model._meta.get_field(name).null)
    except FieldDoesNotExist:
        return False
