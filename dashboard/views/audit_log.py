"""The account's audit trail (admins): who did what and when, filtered by person, kind of
change, object and period."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Q

from accounts.audit import CATEGORIES, action_label
from accounts.models import AuditEvent
from callrail.dates import local_midnight, zone_get
from dashboard.access import ADMINS
from dashboard.account_forms import AuditFilterForm
from dashboard.views.account_base import AccountPage, paginate

FILTERS = ("actor", "category", "q", "since", "until")


class AuditLogView(AccountPage):
    template_name = "dashboard/account/audit_log.html"
    title = "Audit log"
    roles = ADMINS

    lead = "Sign-ins and every change made in the account: by whom, when and from where."

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        state = self.scope.state
        form = AuditFilterForm({key: state.get(key) for key in FILTERS}, account=self.scope.account)
        form.is_valid()  # a value that cannot be read filters nothing (and shows why)
        filters = form.cleaned_data
        entries = AuditEvent.objects.filter(account=self.scope.account).select_related("actor")
        tz = zone_get(self.scope.time_zone)
        if filters.get("since"):
            entries = entries.filter(created_at__gte=local_midnight(filters["since"], tz))
        if filters.get("until"):
            entries = entries.filter(created_at__lt=local_midnight(filters["until"] + timedelta(days=1), tz))
        actor = filters.get("actor")
        if actor == "system":
            entries = entries.filter(actor__isnull=True, actor_label="")
        elif actor:
            entries = entries.filter(actor__public_id=actor)
        category = CATEGORIES.get(filters.get("category") or "")
        if category is not None:
            entries = entries.filter(category.query())
        query = filters.get("q")
        if query:
            entries = entries.filter(
                Q(object_label__icontains=query) | Q(object_id__iexact=query) | Q(actor_label__icontains=query)
            )
        page = paginate(entries, state)
        for entry in page.object_list:
            entry.label = action_label(entry.action)
        return {
            **super().get_context_data(**kwargs),
            "filter_form": form,
            "page": page,
            "filtered": any(filters.get(key) for key in FILTERS),
        }
