"""Live: calls ringing and in progress, the latest calls, the visitors on the companies'
sites with the numbers they hold, and each pool's numbers in use.

The page is complete without JavaScript; ``live.js`` then polls ``live/feed/`` for the
same sections. The feed answers 304 Not Modified while nothing changed (its ETag is a hash
of what it would send), so an open tab costs a few small queries and no rendering work in
the browser.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from dashboard.access import Scope, dashboard_view
from dashboard.views.pages import PageView
from telephony.live import calls_latest, calls_live
from telephony.models import Call
from tracking.live import SitesNow, sites_now

SECTIONS_TEMPLATE = "dashboard/includes/live_sections.html"


@dataclass(frozen=True)
class LiveNow:
    """Everything the live view shows, read at one moment."""

    calls: list[Call]
    latest: list[Call]
    sites: SitesNow

    @property
    def empty(self) -> bool:
        return not (self.calls or self.latest or self.sites.pools)


def live_now(scope: Scope) -> LiveNow:
    account, company_ids = scope.account, scope.company_ids
    return LiveNow(
        calls=calls_live(account=account, company_ids=company_ids),
        latest=calls_latest(account=account, company_ids=company_ids),
        sites=sites_now(account=account, company_ids=company_ids),
    )


def _sections(request: HttpRequest, scope: Scope, now: LiveNow) -> str:
    return render_to_string(SECTIONS_TEMPLATE, {"scope": scope, "state": scope.state, "live": now}, request=request)


def _etag(html: str) -> str:
    return '"' + hashlib.blake2b(html.encode(), digest_size=16).hexdigest() + '"'


class LiveView(PageView):
    template_name = "dashboard/live.html"
    title = "Live"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        now = live_now(self.scope)
        html = _sections(self.request, self.scope, now)
        context.update(live=now, sections=html, etag=_etag(html))
        return context


@require_GET
@dashboard_view
def live_feed(request: HttpRequest) -> HttpResponse:
    """The live sections as JSON for ``live.js``: ``html``, ``calls`` (live now) and
    ``visitors``; 304 when they are what the browser has (``If-None-Match``)."""
    scope: Scope = request.scope  # type: ignore[attr-defined]
    now = live_now(scope)
    html = _sections(request, scope, now)
    etag = _etag(html)
    if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponse(status=304)
    else:
        response = JsonResponse(
            {
                "html": html,
                "calls": len(now.calls),
                "visitors": now.sites.visitor_count,
                "at": timezone.now().isoformat(),
            }
        )
    response["ETag"] = etag
    # Revalidated on every poll, and never kept by a shared cache (it is one user's view).
    patch_cache_control(response, private=True, no_cache=True)
    return response
