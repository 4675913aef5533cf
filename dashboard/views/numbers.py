"""Tracking numbers: every tracker with its numbers and calls; disabling a tracker and
replacing a number (the v3 API's services); a pool's health, live, with its resize."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from dashboard.access import dashboard_view
from dashboard.views.setup import SetupPage, tracker_for
from telephony.callflows.validation import fallback_destination
from telephony.carrier import CarrierError, NumberUnavailable
from telephony.pool_health import PoolHealth, pool_health
from telephony.tracker_activity import TrackerActivity, tracker_activity
from telephony.trackers import TrackerDisableRefused, tracker_disable, tracker_pool_resize, tracker_update
from tracking.models import Tracker, TrackingNumber

ACTIVITY_DAYS = 30
CARRIER_DOWN = "The phone carrier could not be reached, so nothing changed. Try again in a minute."


@dataclass(frozen=True)
class TrackerRow:
    tracker: Tracker
    numbers: list[TrackingNumber]
    destination: str | None
    activity: TrackerActivity | None


def _rows(trackers: Sequence[Tracker], since: datetime) -> list[TrackerRow]:
    activity = tracker_activity(tracker_ids=[t.pk for t in trackers], since=since)
    return [
        TrackerRow(
            tracker=tracker,
            numbers=list(tracker.active_numbers),  # type: ignore[attr-defined]
            destination=fallback_destination(tracker.call_flow.definition),
            activity=activity.get(tracker.pk),
        )
        for tracker in trackers
    ]


class NumbersView(SetupPage):
    template_name = "dashboard/numbers.html"
    title = "Tracking numbers"
    nav = "Numbers"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        active_numbers = TrackingNumber.objects.filter(status=TrackingNumber.Status.ACTIVE).order_by("number")
        trackers = list(
            Tracker.objects.filter(company__in=self.scope.selected_companies)
            .select_related("company", "call_flow")
            .prefetch_related(Prefetch("numbers", active_numbers, to_attr="active_numbers"))
            .order_by("company__name", "name", "pk")
        )
        rows = _rows(trackers, timezone.now() - timedelta(days=ACTIVITY_DAYS))
        return {
            **super().get_context_data(**kwargs),
            "active": [row for row in rows if row.tracker.is_active],
            "disabled": [row for row in rows if not row.tracker.is_active],
            "activity_days": ACTIVITY_DAYS,
        }


class TrackerDisableView(SetupPage):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, tracker_id: str) -> HttpResponse:
        tracker = tracker_for(self.scope, tracker_id)
        try:
            tracker_disable(tracker=tracker)
        except TrackerDisableRefused as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(request, f"“{tracker.name}” is disabled: its numbers went back to the carrier.")
        return self.back("dashboard:numbers")


class NumberReplaceView(SetupPage):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, tracker_id: str) -> HttpResponse:
        tracker = tracker_for(self.scope, tracker_id)
        number = request.POST.get("number", "")
        try:
            tracker_update(tracker=tracker, changes={"replace_tracking_number": number})
        except ValidationError as exc:
            messages.error(request, _sentence(exc))
        except NumberUnavailable as exc:
            messages.error(request, str(exc))
        except CarrierError:
            messages.error(request, CARRIER_DOWN)
        else:
            messages.success(request, f"A new number replaces {number} in “{tracker.name}”.")
        return self.back("dashboard:numbers")


def _sentence(exc: ValidationError) -> str:
    """A service's ``field: message`` for people: the message, capitalised."""
    text = "; ".join(exc.messages)
    _, _, message = text.partition(": ")
    message = message or text
    return message[0].upper() + message[1:]


# --- pool health -------------------------------------------------------------------------------


def _pool_tracker(scope: Any, tracker_id: str) -> Tracker:
    tracker = tracker_for(scope, tracker_id)
    if tracker.type != Tracker.Type.SESSION:
        raise Http404("Only website pools have a pool page.")
    return tracker


def _chart(health: PoolHealth) -> str:
    """The exhaustion chart's data, for pool.js (JSON in a data attribute: no inline script)."""
    return json.dumps(
        {
            "labels": [f"{day:%b} {day.day}" for day, _ in health.exhaustions_by_day],
            "values": [count for _, count in health.exhaustions_by_day],
        }
    )


class PoolView(SetupPage):
    template_name = "dashboard/pool.html"
    nav = "Numbers"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        tracker = _pool_tracker(self.scope, self.kwargs["tracker_id"])
        self.title = tracker.name
        health = pool_health(tracker=tracker, window=self.scope.window)
        return {**super().get_context_data(**kwargs), "tracker": tracker, "health": health, "chart": _chart(health)}


@dashboard_view
def pool_live(request: HttpRequest, tracker_id: str) -> HttpResponse:
    """The live part of the pool page (numbers in use, who holds them), polled by htmx."""
    scope = request.scope  # type: ignore[attr-defined]
    tracker = _pool_tracker(scope, tracker_id)
    health = pool_health(tracker=tracker, window=scope.window)
    context = {"tracker": tracker, "health": health, "oob": True, "scope": scope, "state": scope.state}
    return render(request, "dashboard/setup/pool_live.html", context)


class PoolResizeView(SetupPage):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, tracker_id: str) -> HttpResponse:
        tracker = _pool_tracker(self.scope, tracker_id)
        before = tracker.numbers.filter(status=TrackingNumber.Status.ACTIVE).count()
        try:
            resized = tracker_pool_resize(tracker=tracker, size=request.POST.get("size", ""))
        except ValidationError as exc:
            messages.error(request, _sentence(exc))
        except NumberUnavailable as exc:
            messages.error(request, str(exc))
        except CarrierError:
            messages.error(request, CARRIER_DOWN)
        else:
            after = resized.numbers.filter(status=TrackingNumber.Status.ACTIVE).count()
            if after > before:
                messages.success(request, f"Bought {after - before} numbers: the pool now has {after}.")
            elif after < before:
                messages.success(request, f"Released {before - after} numbers: the pool now has {after}.")
            else:
                messages.success(request, f"The pool already has {after} numbers.")
        return self.back("dashboard:pool", tracker_id=tracker.public_id)
