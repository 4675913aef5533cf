"""The dimensions of a call: what reports group by and pages filter on (``?campaign=spring``),
with the checks of the values filters take. Shared by the call filters (``telephony.selectors``)
and the reports (``telephony.reports``)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db.models import Expression, F, Q, QuerySet
from django.db.models.functions import ExtractHour
from django.db.models.lookups import Exact

from tracking.source_names import SOURCE_NAMES, source_display

LEAD_STATUSES = ("good_lead", "not_a_lead", "not_scored")
# A dimension value that stands for "not set" (a call without a campaign, a tag...) in a
# filter; a real value never has these brackets.
NONE_VALUE = "(none)"
UTC_ZONE = ZoneInfo("UTC")


def invalid_choice(name: str, value: str, allowed: Collection[str]) -> str:
    """The message for a value that is not one of ``allowed``."""
    return f"Invalid {name} '{value}'. Valid values: {', '.join(allowed)}"


def choice_check(name: str, value: str | None, allowed: Collection[str]) -> None:
    if value is not None and value not in allowed:
        raise ValidationError(invalid_choice(name, value, allowed))


def lead_status_q(value: str) -> Q:
    """``good_lead``, ``not_a_lead``, or ``not_scored`` (no status given)."""
    if value == "not_scored":
        return Q(lead_status__isnull=True) | Q(lead_status="")
    return Q(lead_status=value)


def source_codes(name: str) -> list[str]:
    """The stored source codes shown as ``name`` (``Google Ads`` → ``google_paid``); a
    referring domain or an unnamed code is shown as itself (or title-cased)."""
    codes = [code for code in SOURCE_NAMES if SOURCE_NAMES[code] == name]
    return [*codes, name, name.lower().replace(" ", "_")]


def tagged(model: str, names: Iterable[str]) -> QuerySet:
    """The ids of ``model``'s rows (``telephony.Call`` or ``tracking.FormSubmission``) carrying any of ``names``."""
    from django.apps import apps

    through = apps.get_model(model).tags.through
    column = "call_id" if model == "telephony.Call" else "formsubmission_id"
    return through.objects.filter(tag__name__in=list(names)).values(column)


# --- dimensions: what a report groups by and a page filters on --------------------------------


@dataclass(frozen=True)
class Dimension:
    """A property of a call that reports group by and pages filter on (``?campaign=spring``).

    ``key()`` is the value a group shows and a filter takes; ``None`` means "not set" and is
    written ``NONE_VALUE`` in a filter. ``form_column`` is the same property of a form
    submission (None: forms have no such property, so they cannot be filtered by it).
    """

    name: str
    column: str
    form_column: str | None = None
    # A column naming the group, read in the same statement (a tracker's name).
    label_column: str | None = None
    # False when a call can fall in several groups (tags): the total is then not their sum.
    partitions: ClassVar[bool] = True

    def expression(self, tz: ZoneInfo) -> Expression | F:
        return F(self.column)

    def key(self, raw: Any) -> Any:
        return None if raw in ("", None) else raw

    def condition(self, value: str, tz: ZoneInfo) -> Q:
        if value == NONE_VALUE:
            return Q(**{self.column: ""}) | Q(**{f"{self.column}__isnull": True})
        return Q(**{self.column: value})

    def form_condition(self, value: str) -> Q | None:
        if self.form_column is None:
            return None
        if value == NONE_VALUE:
            return Q(**{self.form_column: ""}) | Q(**{f"{self.form_column}__isnull": True})
        return Q(**{self.form_column: value})


@dataclass(frozen=True)
class SourceDimension(Dimension):
    """Sources group by their stored code and show its marketing name (``Google Ads``)."""

    def key(self, raw: Any) -> Any:
        return None if raw in ("", None) else source_display(raw)

    def condition(self, value: str, tz: ZoneInfo) -> Q:
        if value == NONE_VALUE:
            return super().condition(value, tz)
        return Q(**{f"{self.column}__in": source_codes(value)})

    def form_condition(self, value: str) -> Q | None:
        # A form keeps the source's code in ``referrer`` (its ``source`` is a display name).
        if value == NONE_VALUE:
            return Q(referrer="")
        return Q(referrer__in=source_codes(value))


@dataclass(frozen=True)
class TrackerDimension(Dimension):
    """Calls group by the tracker's public id (its name is looked up for display)."""

    def condition(self, value: str, tz: ZoneInfo) -> Q:
        if value == NONE_VALUE:
            return Q(tracker__isnull=True)
        return Q(tracker__public_id=value)


@dataclass(frozen=True)
class TagDimension(Dimension):
    """A call with two tags counts in both groups; a call without any in "not set"."""

    partitions: ClassVar[bool] = False

    def condition(self, value: str, tz: ZoneInfo) -> Q:
        if value == NONE_VALUE:
            return Q(tags__isnull=True)
        # A subquery, not a join: a call with several tags must not come back several times.
        return Q(pk__in=tagged("telephony.Call", [value]))

    def form_condition(self, value: str) -> Q | None:
        if value == NONE_VALUE:
            return Q(tags__isnull=True)
        return Q(pk__in=tagged("tracking.FormSubmission", [value]))


@dataclass(frozen=True)
class LeadStatusDimension(Dimension):
    def key(self, raw: Any) -> Any:
        return "not_scored" if raw in ("", None) else raw

    def condition(self, value: str, tz: ZoneInfo) -> Q:
        choice_check("lead_status", value, (*LEAD_STATUSES, "previously_marked_good_lead"))
        return lead_status_q(value)

    def form_condition(self, value: str) -> Q | None:
        return self.condition(value, UTC_ZONE)


@dataclass(frozen=True)
class HourDimension(Dimension):
    """The local hour of day a call started (0-23), in the report's time zone."""

    def expression(self, tz: ZoneInfo) -> Expression | F:
        return ExtractHour(self.column, tzinfo=tz)

    def key(self, raw: Any) -> Any:
        return raw

    def condition(self, value: str, tz: ZoneInfo) -> Q:
        if not value.isdigit() or int(value) > 23:
            raise ValidationError(f"Invalid hour '{value}': use 0 to 23.")
        return Q(Exact(ExtractHour(self.column, tzinfo=tz), int(value)))

    def form_condition(self, value: str) -> Q | None:
        return None


DIMENSIONS: dict[str, Dimension] = {
    dimension.name: dimension
    for dimension in (
        SourceDimension("source", "source", "referrer"),
        Dimension("medium", "medium", "medium"),
        Dimension("campaign", "campaign", "campaign"),
        Dimension("keyword", "keywords", "keywords"),
        Dimension("landing_page", "landing_page_url", "landing_page_url"),
        TrackerDimension("tracker", "tracker__public_id", label_column="tracker__name"),
        TagDimension("tag", "tags__name", "tags__name"),
        LeadStatusDimension("lead_status", "lead_status", "lead_status"),
        HourDimension("hour", "start_time"),
    )
}
