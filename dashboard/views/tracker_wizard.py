"""The new-tracker wizard: kind, visitors, numbers (searched at the carrier and picked),
the site's own numbers, what happens to calls, and a summary before anything is bought.
The tracker is created by the v3 API's own service (``tracker_create``)."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from dashboard.setup.wizard import FIELD_STEPS, STEP_NAMES, TrackerWizardForm
from dashboard.setup.words import source_rule
from dashboard.views.setup import SetupPage, company_choice
from telephony.carrier import AvailableNumber, CarrierError, NumberUnavailable
from telephony.numbers import numbers_search
from telephony.trackers import tracker_create
from tracking.models import CallFlow, Tracker
from tracking.pool_stats import PoolSizeAdvice, new_pool_size

E164 = re.compile(r"^\+[1-9]\d{7,14}$")
CARRIER_DOWN = "The phone carrier could not be reached. Nothing was bought: try again in a minute."


class TrackerWizardView(SetupPage):
    template_name = "dashboard/tracker_new.html"
    title = "New tracker"
    nav = "Numbers"
    company_required = True

    def form(self, data: Any = None) -> TrackerWizardForm:
        flows = CallFlow.objects.filter(company=self.company, definition__type="advanced").order_by("name", "pk")
        return TrackerWizardForm(data, flows=list(flows), initial={"name": "Website visitors"})

    def advice(self) -> PoolSizeAdvice:
        return new_pool_size(company_id=self.company.pk, now=timezone.now())

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.scope.company is None:
            return company_choice(request, self.scope, self.title, self.nav)
        form = self.form()
        form.initial["pool_size"] = self.advice().size
        return self.show(form, "kind")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.scope.company is None:
            return company_choice(request, self.scope, self.title, self.nav)
        data = request.POST.copy()
        if data.get("kind") != "source" and not data.get("pool_size"):
            data["pool_size"] = str(self.advice().size)
        form = self.form(data)
        form.is_valid()
        step = str(data.get("step", ""))
        step = step if step in STEP_NAMES else "kind"
        picks = self.picks(data.getlist("pick"), form)
        action = data.get("action", "next")
        if action == "back":
            return self.show(form, self.neighbour(form, step, -1), picks)
        if action == "search":
            return self.search(form, picks)
        if action == "create":
            return self.create(form, picks)
        if step in ("kind", "source"):
            form.suggest_name()
        form.check(step)
        if self.errors_on(form, step):
            return self.show(form, step, picks)
        return self.show(form, self.neighbour(form, step, +1), picks)

    # --- steps -------------------------------------------------------------------------------

    def neighbour(self, form: TrackerWizardForm, step: str, offset: int) -> str:
        names = [s.name for s in form.steps()]
        index = names.index(step) if step in names else 0
        return names[max(0, min(len(names) - 1, index + offset))]

    def errors_on(self, form: TrackerWizardForm, step: str) -> bool:
        """Put the problems found on their fields; whether ``step`` has any."""
        for field, message in form.step_errors.items():
            if field not in form.errors:
                form.add_error(field, message)
        form.step_errors.clear()
        shown = next((s.fields for s in form.steps() if s.name == step), ())
        return any(field in form.errors for field in shown)

    def picks(self, values: list[str], form: TrackerWizardForm) -> list[str]:
        """The numbers picked from searches (at most as many as will be bought)."""
        limit = int(form.value("pool_size") or 0) if form.is_pool else 1
        return list(dict.fromkeys(value for value in values if E164.match(value)))[:limit]

    def search(self, form: TrackerWizardForm, picks: list[str]) -> HttpResponse:
        request = form.number_request()
        if self.errors_on(form, "numbers"):
            return self.show(form, "numbers", picks)
        size = int(form.value("pool_size") or 1) if form.is_pool else 1
        try:
            found = numbers_search(number_request=request, limit=max(12, size + 4))
        except CarrierError:
            form.add_error(None, "The phone carrier could not be reached. Try the search again in a minute.")
            return self.show(form, "numbers", picks)
        # Fresh results replace earlier picks: the first ones are picked until the user chooses.
        picks = [number.number for number in found[:size]]
        return self.show(form, "numbers", picks, found=found, searched=True)

    def create(self, form: TrackerWizardForm, picks: list[str]) -> HttpResponse:
        body = form.body()
        first = form.first_step_with_errors()
        if first is not None:
            self.errors_on(form, first)
            return self.show(form, first, picks)
        try:
            tracker = tracker_create(
                account=self.scope.account, company=self.company, data=body, preferred_numbers=picks
            )
        except ValidationError as exc:
            message = "; ".join(exc.messages)
            field, _, text = message.partition(": ")
            form.add_error(None, text or message)
            return self.show(form, FIELD_STEPS.get(field.split(".")[0], "summary"), picks)
        except NumberUnavailable as exc:
            form.add_error(None, f"{exc} Try another area code, or search near another number.")
            return self.show(form, "numbers", picks)
        except CarrierError:
            form.add_error(None, CARRIER_DOWN)
            return self.show(form, "summary", picks)
        count = tracker.numbers.count()
        numbers = f"{count} number{'s' if count != 1 else ''}"
        if tracker.type == Tracker.Type.SESSION:
            messages.success(
                self.request, f"“{tracker.name}” is ready with {numbers}. Install the snippet on your site."
            )
            return self.back("dashboard:pool", tracker_id=tracker.public_id)
        messages.success(self.request, f"“{tracker.name}” is ready: calls to its number ring through now.")
        return self.back("dashboard:numbers")

    # --- the page ------------------------------------------------------------------------------

    def show(
        self,
        form: TrackerWizardForm,
        step: str,
        picks: list[str] | None = None,
        *,
        found: list[AvailableNumber] | None = None,
        searched: bool = False,
    ) -> HttpResponse:
        steps = form.steps()
        names = [s.name for s in steps]
        step = step if step in names else names[0]
        position = names.index(step)
        context = self.get_context_data(
            form=form,
            step=step,
            steps=[(s, index < position, index == position) for index, s in enumerate(steps)],
            hidden=form.hidden_fields_except(step),
            picks=picks or [],
            found=found or [],
            searched=searched,
            position=position + 1,
            first=position == 0,
        )
        if step == "numbers" and form.is_pool:
            context["advice"] = self.advice()
        if step == "summary":
            body = form.body()
            draft = Tracker(type=body.get("type", "session"), source=body.get("source") or {"type": "all"})
            context["summary"] = {
                "body": body,
                "request": body.get("pool_numbers") or body.get("tracking_number") or {},
                "flow": form.flows.get(form.value("advanced_flow") or ""),
            }
            context["summary_rule"] = source_rule(draft)
        return render(self.request, self.template_name, context)
