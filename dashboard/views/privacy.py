"""The account's privacy page (admins): erase a person, found by phone number and/or email,
across every company of the account, and the log of erasures with their status and what each
removed. Requests go through the erasure service the API uses (``privacy.erasure``), which
runs them in the background and writes the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from dashboard.access import ADMINS
from dashboard.privacy_forms import ErasureForm
from dashboard.views.account_base import AccountPage, paginate
from privacy.erasure import erasure_request
from privacy.models import Erasure

# What an erasure's counts name, as the log shows them (in this order): (one, many).
COUNT_LABELS: dict[str, tuple[str, str]] = {
    "calls": ("call", "calls"),
    "recordings": ("recording", "recordings"),
    "text_messages": ("text", "texts"),
    "text_conversations": ("conversation", "conversations"),
    "form_submissions": ("form", "forms"),
    "visitor_sessions": ("visit", "visits"),
    "page_views": ("page view", "page views"),
    "webhook_events": ("webhook", "webhooks"),
    "webhook_deliveries": ("webhook attempt", "webhook attempts"),
    "notification_emails": ("alert email", "alert emails"),
    "people": ("person", "people"),
}


def counts_shown(counts: dict[str, Any]) -> list[str]:
    """ "2 calls", "1 recording"…: the kinds of rows an erasure touched, the known kinds first."""
    shown = []
    for key, (one, many) in COUNT_LABELS.items():
        number = int(counts.get(key) or 0)
        if number:
            shown.append(f"{number} {one if number == 1 else many}")
    shown += [
        f"{int(value)} {key.replace('_', ' ')}"
        for key, value in sorted(counts.items())
        if key not in COUNT_LABELS and value
    ]
    return shown


class PrivacyView(AccountPage):
    template_name = "dashboard/account/privacy.html"
    title = "Privacy"
    lead = "Erase a person who asks: their calls stay as anonymous rows, so reports still add up."
    roles = ADMINS
    nav = "Account settings"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        erasures = Erasure.objects.filter(account=self.scope.account).select_related("requested_by")
        page = paginate(erasures, self.scope.state)
        for erasure in page.object_list:
            erasure.counts_shown = counts_shown(erasure.counts or {})
        return {
            **super().get_context_data(**kwargs),
            "form": kwargs.get("form") or ErasureForm(),
            "page": page,
            "unfinished": any(not erasure.is_finished for erasure in page.object_list),
            "retention_days": self.scope.account.data_retention_days,
        }

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = ErasureForm(request.POST)
        if form.is_valid():
            try:
                erasure = erasure_request(
                    account=self.scope.account,
                    phone_number=form.cleaned_data["phone_number"],
                    email=form.cleaned_data["email"],
                    requested_by=self.scope.user,
                    via=Erasure.Via.DASHBOARD,
                )
            except ValidationError as exc:
                form.add_error(None, " ".join(exc.messages))
            else:
                messages.success(request, f"Erasure {erasure.public_id} is under way. Its result shows below.")
                return HttpResponseRedirect(reverse("dashboard:privacy"))
        return self.render_to_response(self.get_context_data(form=form), status=400)
