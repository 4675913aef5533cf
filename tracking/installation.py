"""Where a company's snippet runs: the sites (origins) its visits came from, read from what
the DNI endpoint records anyway (each visit's landing page and last activity, the pages
viewed), so the installation check costs a visit nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Case, Count, F, Max, Q, TextField, Value, When
from django.db.models.functions import Left, Lower, StrIndex, Substr
from django.db.models.lookups import GreaterThan

from accounts.models import Company
from tracking.models import PageView, VisitorSession

MAX_SITES = 20


def _origin(field: str) -> Case:
    """``https://www.example.com`` of a URL column (scheme and host, lower case), in SQL;
    '' for anything that is not an absolute URL."""
    scheme_end = StrIndex(F(field), Value("://"))
    # Where the path starts, counted from the host (0: the URL has no path).
    slash = StrIndex(Substr(F(field), scheme_end + 3), Value("/"))
    return Case(
        When(GreaterThan(scheme_end, 0) & GreaterThan(slash, 0), then=Lower(Left(F(field), scheme_end + slash + 1))),
        When(GreaterThan(scheme_end, 0), then=Lower(F(field))),
        default=Value(""),
        output_field=TextField(),
    )


@dataclass(frozen=True)
class SiteReport:
    """One site the snippet reported from."""

    origin: str
    last_seen: datetime
    visits_today: int
    pages_today: int
    swapped_today: int  # visits today that a tracker matched (their page showed its numbers)

    @property
    def debug_url(self) -> str:
        """The site's home page with swap.js's debugging on (``?calltrk_debug=1``)."""
        return f"{self.origin}/?calltrk_debug=1"


def snippet_sites(*, company: Company, today: datetime, since: datetime) -> list[SiteReport]:
    """The sites of visits active since ``since``, latest first, with today's figures
    (``today`` is the start of the company's day)."""
    sessions = (
        VisitorSession.objects.filter(company=company, last_seen_at__gte=min(since, today))
        .annotate(origin=_origin("landing_url"))
        .exclude(origin="")
        .values("origin")
        .annotate(
            last_seen=Max("last_seen_at"),
            visits_today=Count("id", filter=Q(last_seen_at__gte=today)),
            swapped_today=Count("id", filter=Q(last_seen_at__gte=today, tracker__isnull=False)),
        )
        .order_by("-last_seen")[:MAX_SITES]
    )
    pages = dict(
        PageView.objects.filter(
            session__in=VisitorSession.objects.filter(company=company, last_seen_at__gte=today).values("id"),
            created_at__gte=today,
        )
        .annotate(origin=_origin("page_url"))
        .values("origin")
        .annotate(n=Count("id"))
        .values_list("origin", "n")
    )
    return [
        SiteReport(
            origin=row["origin"],
            last_seen=row["last_seen"],
            visits_today=row["visits_today"],
            # Every visit is at least its landing page, whose view a worker may still be writing.
            pages_today=max(pages.get(row["origin"], 0), row["visits_today"]),
            swapped_today=row["swapped_today"],
        )
        for row in sessions
    ]
