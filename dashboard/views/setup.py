"""What the set-up pages (numbers, call flows, install, settings) share: editors change
things (reporting users read), some pages need one company, and trackers and flows are
found among the companies the user can see (404 otherwise)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.generic import TemplateView

from accounts.models import Company
from dashboard.access import EditorRequiredMixin, Scope
from dashboard.shell import shell_context
from tracking.models import CallFlow, Tracker


class SetupPage(EditorRequiredMixin, TemplateView):
    """A set-up page. With ``company_required``, "All companies" asks which company first."""

    title = ""
    company_required = False

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.nav = self.nav or self.title
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.company_required and self.scope.company is None and self.scope.companies:
            return company_choice(request, self.scope, self.title, self.nav)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "title": self.title}

    @property
    def company(self) -> Company:
        if self.scope.company is None:
            raise Http404("Choose a company first.")
        return self.scope.company

    def back(self, name: str, anchor: str = "", **kwargs: Any) -> HttpResponseRedirect:
        """Back to a page of the dashboard, keeping the company and the period."""
        return HttpResponseRedirect(reverse(name, kwargs=kwargs or None) + self.scope.state.shared_query + anchor)


def company_choice(request: HttpRequest, scope: Scope, title: str, nav: str) -> HttpResponse:
    """The page asks which company it is about (the set-up of one company at a time)."""
    links = [(company, request.path + scope.state.query(company=company.public_id)) for company in scope.companies]
    context = {**shell_context(scope, current=nav), "title": title, "links": links}
    return render(request, "dashboard/setup/choose_company.html", context)


def tracker_for(scope: Scope, public_id: str) -> Tracker:
    """A tracker of a company the user can see, by its TRK… id."""
    tracker = (
        Tracker.objects.select_related("company", "call_flow")
        .filter(public_id=public_id, company__in=scope.companies)
        .first()
    )
    if tracker is None:
        raise Http404("No such tracker.")
    return tracker


def call_flow_for(scope: Scope, flow_id: str) -> CallFlow:
    """An advanced call flow of a company the user can see, by its uuid."""
    flow = CallFlow.objects.select_related("company").filter(uuid=flow_id, company__in=scope.companies).first()
    if flow is None or flow.flow_type != "advanced":
        raise Http404("No such call flow.")
    return flow
