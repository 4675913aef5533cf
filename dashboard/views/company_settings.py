"""Company settings: the company's own (``company_update``) and each tracker's pool,
recording and whisper settings (``tracker_update``), the services the v3 API writes with;
each save is one transaction and reaches the DNI endpoint at once."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse

from accounts.services import company_update
from dashboard.setup.settings_forms import CompanySettingsForm, TrackerSettingsForm
from dashboard.views.setup import SetupPage, company_choice, tracker_for
from telephony.carrier import CarrierError
from telephony.trackers import tracker_update
from tracking.models import Tracker


class SettingsView(SetupPage):
    template_name = "dashboard/settings.html"
    title = "Settings"
    company_required = True

    def page(
        self, company_form: CompanySettingsForm | None = None, bound: TrackerSettingsForm | None = None
    ) -> HttpResponse:
        company = self.company
        trackers = Tracker.objects.filter(company=company, status=Tracker.Status.ACTIVE).select_related("call_flow")
        tracker_forms = [
            bound if bound is not None and bound.tracker.pk == tracker.pk else TrackerSettingsForm(tracker=tracker)
            for tracker in trackers.order_by("name", "pk")
        ]
        context = self.get_context_data(
            company=company,
            company_form=company_form or CompanySettingsForm(company=company),
            tracker_forms=tracker_forms,
        )
        return self.render_to_response(context, status=200)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.scope.company is None:
            return company_choice(request, self.scope, self.title, self.nav)
        return self.page()

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.scope.company is None:
            return company_choice(request, self.scope, self.title, self.nav)
        form = CompanySettingsForm(request.POST, company=self.company)
        if not form.is_valid():
            return self.page(company_form=form)
        changes = form.changes()
        if changes:
            company_update(company=self.company, changes=changes)
            messages.success(request, "The company's settings are saved. Your website follows them at once.")
        else:
            messages.info(request, "Nothing changed.")
        return self.back("dashboard:settings")


class TrackerSettingsView(SettingsView):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        tracker = tracker_for(self.scope, kwargs["tracker_id"])
        if self.scope.company is None or tracker.company_id != self.scope.company.pk:
            return self.back("dashboard:settings")
        form = TrackerSettingsForm(request.POST, tracker=tracker)
        if not form.is_valid():
            return self.page(bound=form)
        changes = form.changes()
        if not changes:
            messages.info(request, f"Nothing changed for “{tracker.name}”.")
            return self.back("dashboard:settings", f"#tracker-{tracker.public_id}")
        try:
            tracker_update(tracker=tracker, changes=changes)
        except ValidationError as exc:
            form.service_error(exc)
            return self.page(bound=form)
        except CarrierError:
            form.add_error(None, "The change could not be made right now. Try again in a minute.")
            return self.page(bound=form)
        messages.success(request, f"“{tracker.name}” is saved. Your website follows it at once.")
        return self.back("dashboard:settings", f"#tracker-{tracker.public_id}")
