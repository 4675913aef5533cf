"""Forms: the form submissions of the period with the fields captured and where the visitor
came from, filtered as the API's ``form_submissions.json`` filters them (the same selector),
and one submission in full."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from dashboard.access import Scope, dashboard_view
from dashboard.paging import keyset_page
from dashboard.shell import shell_context
from dashboard.views.pages import PageView
from tracking.models import FormSubmission
from tracking.models import PageView as VisitPageView
from tracking.selectors import FORM_LEAD_STATUSES, FormFilters, form_sources, form_submission_list

LEAD_STATUS_LABELS = {"good_lead": "Good lead", "not_a_lead": "Not a lead", "not_scored": "Not scored"}
PAGE_SIZE = 25
JOURNEY_SHOWN = 50
COUNTED = 10_000  # the count above the list stops here ("10,000+")


def form_filters(scope: Scope) -> FormFilters:
    """The list's filters as the URL gives them; values no filter knows are left out."""
    state = scope.state
    lead_status = state.get("lead_status")
    return FormFilters(
        company_ids=tuple(scope.company_ids),
        window=scope.window,
        lead_status=lead_status if lead_status in FORM_LEAD_STATUSES else None,
        source=state.get("source") or None,
        search=state.get("search"),
    )


class FormsView(PageView):
    template_name = "dashboard/forms.html"
    title = "Forms"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        filters = form_filters(self.scope)
        submissions = form_submission_list(account=self.scope.account, filters=filters).select_related("company")
        page = keyset_page(submissions, page=self.scope.state.page, time_field="submitted_at", size=PAGE_SIZE)
        sources = form_sources(account=self.scope.account, company_ids=filters.company_ids, window=filters.window)
        if filters.source and filters.source not in sources:
            sources.append(filters.source)
        counted = submissions.order_by()[: COUNTED + 1].count()
        context.update(
            page=page,
            total=min(counted, COUNTED),
            total_more=counted > COUNTED,
            filters=filters,
            sources=sources,
            lead_statuses=LEAD_STATUS_LABELS,
            filtered=bool(filters.lead_status or filters.source or filters.search),
        )
        return context


@dashboard_view
def form_submission_detail(request: HttpRequest, submission_id: str) -> HttpResponse:
    scope: Scope = request.scope  # type: ignore[attr-defined]
    submission = (
        FormSubmission.objects.filter(account=scope.account, company__in=scope.companies, public_id=submission_id)
        .select_related("company", "person", "session")
        .prefetch_related("tags")
        .first()
    )
    if submission is None:
        raise Http404("No such form submission.")
    journey: list[VisitPageView] = []
    if submission.session_id:
        journey = list(
            VisitPageView.objects.filter(session_id=submission.session_id).order_by("created_at", "id")[:JOURNEY_SHOWN]
        )
    context = {
        **shell_context(scope, current="Forms"),
        "title": submission.customer_name or submission.customer_email or submission.form_name or "Form submission",
        "submission": submission,
        "journey": journey,
        "lead_statuses": LEAD_STATUS_LABELS,
    }
    return render(request, "dashboard/form_submission.html", context)
