"""Shared serializer pieces: CallRail's time format and ``fields=`` selection."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rest_framework import serializers

from integrations.v3_shapes import iso8601


class TimestampField(serializers.Field):
    """A read-only time in the request's time zone (UTC with ``Z`` unless one is set)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value: datetime) -> str | None:
        return iso8601(value, self.context.get("time_zone"))


class RelatedIdField(serializers.Field):
    """The public id of a related row (``company`` → ``"COM…"``), or null.

    ``RelatedIdField(source="company")`` renders ``company.public_id``;
    ``attribute="numeric_id"`` renders integer ids (integrations, tags).
    """

    def __init__(self, attribute: str = "public_id", **kwargs: Any) -> None:
        kwargs.setdefault("read_only", True)
        self.attribute = attribute
        super().__init__(**kwargs)

    def get_attribute(self, instance: Any) -> Any:
        # A null foreign key renders as null instead of failing on the missing row.
        try:
            return super().get_attribute(instance)
        except (AttributeError, KeyError):
            return None

    def to_representation(self, value: Any) -> Any:
        return getattr(value, self.attribute) if value is not None else None


class TimeZoneField(serializers.CharField):
    """An IANA time zone name (``America/New_York``), as the reference's lists use."""

    def to_internal_value(self, data: Any) -> str:
        name = super().to_internal_value(data)
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise serializers.ValidationError(f"'{name}' is not a known time zone") from exc
        return name


def requested_fields(request: Any) -> set[str]:
    if request is None:
        return set()
    raw = request.query_params.get("fields", "")
    return {name.strip() for name in raw.split(",") if name.strip()}


class V3Serializer(serializers.Serializer):
    """CallRail's ``fields=`` *adds* optional fields to the default set.

    Subclasses list every field, and name the optional ones in ``Meta.extra_fields``;
    those render only when requested with ``fields=``, when a view names them in
    ``context["fields"]`` (answers that carry more than the list, such as a create
    response), or when ``context["all_fields"]`` is set (webhook payloads, the
    OpenAPI description, which marks them optional).
    """

    class Meta:
        extra_fields: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        extras = set(getattr(self.Meta, "extra_fields", ()))
        if not extras or self.context.get("all_fields"):
            return
        wanted = requested_fields(self.context.get("request")) | set(self.context.get("fields", ()))
        for name in extras - wanted:
            self.fields.pop(name, None)


class V3ModelSerializer(V3Serializer, serializers.ModelSerializer):
    pass
