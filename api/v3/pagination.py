"""CallRail's offset pagination envelope: page, per_page, total_pages, total_records."""

import math
from typing import Any

from django.db.models import QuerySet
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response

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
        self.resource_name = getattr(view, "resource_name", "results")
        self.per_page = positive_int(request.query_params.get("per_page"), DEFAULT_PER_PAGE, MAX_PER_PAGE)
        self.page = positive_int(request.query_params.get("page"), 1)
        self.total_records = queryset.count()
        start = (self.page - 1) * self.per_page
        if start >= self.total_records:
            return []
        return list(queryset[start : start + self.per_page])

    def get_paginated_response(self, data: list[Any]) -> Response:
        return Response(
            {
                "page": self.page,
                "per_page": self.per_page,
                "total_pages": math.ceil(self.total_records / self.per_page) if self.total_records else 0,
                "total_records": self.total_records,
                self.resource_name: data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {
                "page": {"type": "integer"},
                "per_page": {"type": "integer"},
                "total_pages": {"type": "integer"},
                "total_records": {"type": "integer"},
            },
            "additionalProperties": schema,
        }
