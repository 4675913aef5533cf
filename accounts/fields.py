"""The id pattern every public row follows.

Public ids are ``PREFIX + uuid4 hex`` (CallRail's shape: ``COM8154748ae6bd4e278a7cddd38a662f4f``).
CallRail also shows 9-digit numeric ids in URLs and webhook payloads, so rows that
appear there carry a random ``numeric_id`` too. Integer primary keys never leave
the database.
"""

import secrets
import uuid
from typing import Any

from django.db import models

NUMERIC_ID_MIN = 100_000_000
NUMERIC_ID_MAX = 999_999_999


def new_public_id(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


def new_numeric_id() -> int:
    return NUMERIC_ID_MIN + secrets.randbelow(NUMERIC_ID_MAX - NUMERIC_ID_MIN + 1)


class PublicIdField(models.CharField):
    """A unique ``PREFIX + 32 hex`` id, generated when the row is instantiated."""

    def __init__(self, prefix: str = "", *args: Any, **kwargs: Any) -> None:
        self.prefix = prefix
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("unique", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[Any, ...]:
        name, path, args, kwargs = super().deconstruct()
        kwargs["prefix"] = self.prefix
        for key, default in (("max_length", 40), ("unique", True), ("editable", False)):
            if kwargs.get(key) == default:
                kwargs.pop(key)
        return name, path, args, kwargs

    def has_default(self) -> bool:
        return True

    def get_default(self) -> str:
        return new_public_id(self.prefix)


class NumericIdField(models.BigIntegerField):
    """A unique random 9-digit id, for the places CallRail shows integer ids."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("unique", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[Any, ...]:
        name, path, args, kwargs = super().deconstruct()
        for key, default in (("unique", True), ("editable", False)):
            if kwargs.get(key) == default:
                kwargs.pop(key)
        return name, path, args, kwargs

    def has_default(self) -> bool:
        return True

    def get_default(self) -> int:
        return new_numeric_id()


class TimeStampedModel(models.Model):
    """Creation and update times, stored in UTC like every time in the database."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def parse_public_or_numeric(value: str | int, prefix: str) -> dict[str, Any] | None:
    """Lookup kwargs for an id given as ``PREFIX…`` or as its numeric form.

    Returns None for something that is neither, so callers answer 404.
    """
    text = str(value).strip()
    if text.isascii() and text.isdigit():
        return {"numeric_id": int(text)}
    if text.startswith(prefix) and 30 <= len(text) <= 40 and text[3:].isalnum():
        return {"public_id": text}
    return None
