"""What the account's pages (people, keys, integrations, alerts, settings, audit log) share:
a page without a period, pagination, and a confirmation step before anything that cannot
be undone."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from dashboard.state import DashboardState
from dashboard.views.pages import PageView

PER_PAGE = 50


class AccountPage(PageView):
    """A page about the account rather than a period of calls: ``lead`` is the line under its
    heading; no date range, and no company switcher unless ``company_switcher``."""

    lead = ""
    company_switcher = False

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "lead": self.lead, "company_switcher": self.company_switcher}


def paginate(rows: QuerySet[Any], state: DashboardState, per_page: int = PER_PAGE) -> Page:
    """The page of ``rows`` the URL asks for (the last one past the end, the first for nonsense)."""
    return Paginator(rows, per_page).get_page(state.page or 1)


class ConfirmView(AccountPage):
    """GET asks "are you sure?" (a page that works without JavaScript); POST does it.

    Subclasses set the wording and ``confirmed()``, which returns where to go next.
    """

    template_name = "dashboard/account/confirm.html"
    question = ""
    button = "Confirm"
    danger = True

    def details(self) -> str:
        return ""

    def cancel_url(self) -> str:
        raise NotImplementedError

    def confirmed(self) -> str:
        raise NotImplementedError

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "question": self.question,
            "details": self.details(),
            "button": self.button,
            "danger": self.danger,
            "cancel_url": self.cancel_url(),
        }

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return HttpResponseRedirect(self.confirmed())
