"""Keyset ("seek") pagination, shared by the v3 API's relative pages and the dashboard's
call log: a page ends with the sort key and id of its last row, and the next page is
``WHERE (key, id) < (last key, last id) ORDER BY key DESC, id DESC LIMIT n`` on an index,
so the 1,000th page costs what the first does; no OFFSET is involved."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Q


def keyset_after(field: str, key: Any, last_id: int, *, descending: bool, nullable: bool = False) -> Q:
    """Rows strictly after (key, id) in the page order.

    The redundant ``key <= last`` bound lets PostgreSQL start the index scan at the
    cursor instead of filtering every row before it. A nullable key (a conversation
    without messages has no ``last_message_at``) sorts the way PostgreSQL sorts NULLs:
    first in a descending order, last in an ascending one.
    """
    if key is None:
        after_nulls = Q(**{f"{field}__isnull": True, "id__lt" if descending else "id__gt": last_id})
        return after_nulls | Q(**{f"{field}__isnull": False}) if descending else after_nulls
    if descending:
        return Q(**{f"{field}__lte": key}) & (Q(**{f"{field}__lt": key}) | Q(**{field: key, "id__lt": last_id}))
    later = Q(**{f"{field}__gte": key}) & (Q(**{f"{field}__gt": key}) | Q(**{field: key, "id__gt": last_id}))
    return later | Q(**{f"{field}__isnull": True}) if nullable else later


def keyset_before(field: str, key: Any, first_id: int, *, descending: bool) -> Q:
    """Rows strictly before (key, id) in the page order: those of the pages before this one."""
    return keyset_after(field, key, first_id, descending=not descending)


def token_encode(values: list[Any]) -> str:
    """A URL-safe token of JSON ``values``; datetimes and decimals survive the round trip."""

    def tagged(value: Any) -> Any:
        if isinstance(value, datetime):
            return {"dt": value.isoformat()}
        if isinstance(value, Decimal):
            return {"dec": str(value)}
        return value

    raw = json.dumps([tagged(value) for value in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def token_decode(token: str) -> list[Any]:
    """The values of ``token_encode``; ``ValueError`` for anything it did not write."""

    def untagged(value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {"dt"}:
                return datetime.fromisoformat(value["dt"])
            if set(value) == {"dec"}:
                return Decimal(value["dec"])
            raise ValueError("unknown value in token")
        return value

    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        values = json.loads(raw)
    except (ValueError, binascii.Error) as exc:
        raise ValueError("unreadable token") from exc
    if not isinstance(values, list):
        raise ValueError("unreadable token")
    return [untagged(value) for value in values]
