"""Keyset pagination for the dashboard's newest-first lists (texts, forms): a page is "the
rows older (or newer) than this row", as fast on the hundredth page as on the first.

The page parameter names a row by its public id (``older-FOR…``, ``newer-FOR…``); the row's
time and primary key, looked up within the same filtered rows, are the key. Primary keys never
reach the URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db.models import Model, Q, QuerySet

T = TypeVar("T", bound=Model)

OLDER, NEWER = "older-", "newer-"


@dataclass(frozen=True)
class KeysetPage(Generic[T]):
    rows: list[T]
    older: str | None  # the page parameter of the next page, None on the last
    newer: str | None  # the page parameter of the previous page ("" for the first), None on the first

    @property
    def first(self) -> bool:
        return self.newer is None


def keyset_page(
    queryset: QuerySet[T], *, page: str, time_field: str, id_field: str = "public_id", size: int = 25
) -> KeysetPage[T]:
    """The page of ``queryset`` (ordered newest first by ``time_field``, then primary key) that
    ``page`` asks for; the first page when ``page`` is empty or names no row of the list."""
    if page.startswith(OLDER):
        direction, public_id = OLDER, page[len(OLDER) :]
    elif page.startswith(NEWER):
        direction, public_id = NEWER, page[len(NEWER) :]
    else:
        return _first(queryset, time_field, id_field, size)
    anchor = queryset.filter(**{id_field: public_id}).values_list(time_field, "pk").first()
    if anchor is None:
        return _first(queryset, time_field, id_field, size)
    moment, pk = anchor
    if direction == OLDER:
        after = Q(**{f"{time_field}__lt": moment}) | Q(**{time_field: moment, "pk__lt": pk})
        rows = list(queryset.filter(after).order_by(f"-{time_field}", "-pk")[: size + 1])
        older = _param(OLDER, rows[size - 1], id_field) if len(rows) > size else None
        rows = rows[:size]
        return KeysetPage(rows=rows, older=older, newer=_param(NEWER, rows[0], id_field) if rows else "")
    before = Q(**{f"{time_field}__gt": moment}) | Q(**{time_field: moment, "pk__gt": pk})
    rows = list(queryset.filter(before).order_by(time_field, "pk")[: size + 1])
    if len(rows) <= size:
        # Back at the top: the first page, full.
        return _first(queryset, time_field, id_field, size)
    rows = rows[:size]
    rows.reverse()
    return KeysetPage(rows=rows, older=_param(OLDER, rows[-1], id_field), newer=_param(NEWER, rows[0], id_field))


def _first(queryset: QuerySet[T], time_field: str, id_field: str, size: int) -> KeysetPage[T]:
    rows = list(queryset.order_by(f"-{time_field}", "-pk")[: size + 1])
    older = _param(OLDER, rows[size - 1], id_field) if len(rows) > size else None
    return KeysetPage(rows=rows[:size], older=older, newer=None)


def _param(prefix: str, row: Any, id_field: str) -> str:
    return prefix + str(getattr(row, id_field))
