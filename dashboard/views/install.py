"""Installing the snippet: the company's ``<script>`` tag with a copy button, steps for a
plain site, WordPress and Google Tag Manager, and a check of where it last reported."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from callrail.dates import local_midnight, local_today
from dashboard.views.setup import SetupPage
from tracking.installation import snippet_sites
from tracking.models import Tracker

CHECK_DAYS = 30


def snippet_url(company_public_id: str) -> str:
    """Where customers' pages load swap.js from (this server's public address)."""
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("tracking:swap-js", kwargs={"company_id": company_public_id})


class InstallView(SetupPage):
    template_name = "dashboard/install.html"
    title = "Install"
    company_required = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        company = self.company
        tz = self.scope.window.tz
        sites = snippet_sites(
            company=company,
            today=local_midnight(local_today(tz), tz),
            since=timezone.now() - timedelta(days=CHECK_DAYS),
        )
        src = snippet_url(company.public_id)
        return {
            **super().get_context_data(**kwargs),
            "company": company,
            "snippet": f'<script async src="{src}"></script>',
            "script_src": src,
            "sites": sites,
            "check_days": CHECK_DAYS,
            "has_trackers": Tracker.objects.filter(company=company, status=Tracker.Status.ACTIVE).exists(),
        }
