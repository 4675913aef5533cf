"""Reads of form submissions shared by the v3 API and the dashboard, so that the same filters
always select the same submissions in both (reference: "Listing All Form Submissions")."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from accounts.models import Account
from callrail.dates import DateWindow
from tracking.models import FormSubmission

# ``lead_status`` filter values: the two a marketer sets, and not scored yet.
FORM_LEAD_STATUSES = ("good_lead", "not_a_lead", "not_scored")


def form_lead_status_q(value: str) -> Q:
    """Submissions with this ``lead_status`` filter value (``not_scored``: none set)."""
    if value == "not_scored":
        return Q(lead_status__isnull=True) | Q(lead_status="")
    return Q(lead_status=value)


def form_submissions_in_window(queryset: QuerySet[FormSubmission], window: DateWindow) -> QuerySet[FormSubmission]:
    """Submitted within the period (``date_range``/``start_date``/``end_date``)."""
    return queryset.filter(**window.lookups("submitted_at"))


def form_submissions_with_person(queryset: QuerySet[FormSubmission], has_person: bool) -> QuerySet[FormSubmission]:
    """``person_lead``: only submissions tied to a lead (true), or only those that are not."""
    return queryset.filter(person__isnull=not has_person)


def form_submissions_tagged(queryset: QuerySet[FormSubmission], names: Iterable[str]) -> QuerySet[FormSubmission]:
    """Carrying any of the named tags; a semi-join, so no row repeats."""
    through = FormSubmission.tags.through
    return queryset.filter(pk__in=through.objects.filter(tag__name__in=list(names)).values("formsubmission_id"))


# What the dashboard's search box looks in: the customer and every field they filled in.
SEARCH_FIELDS = ("customer_name", "customer_phone_number", "customer_email", "form_name", "form_url")


def form_submissions_search(queryset: QuerySet[FormSubmission], term: str) -> QuerySet[FormSubmission]:
    term = term.strip()
    if not term:
        return queryset
    condition = Q(form_data__icontains=term)
    for name in SEARCH_FIELDS:
        condition |= Q(**{f"{name}__icontains": term})
    digits = "".join(ch for ch in term if ch.isdigit())
    if len(digits) >= 4 and len(digits) != len(term.replace(" ", "")):
        # "(303) 555-0127" finds +13035550127.
        condition |= Q(customer_phone_number__contains=digits)
    return queryset.filter(condition)


@dataclass(frozen=True)
class FormFilters:
    """What a list of form submissions is narrowed to. ``company_ids`` are the companies the
    reader may see (and picked); the others are the list's own filters, None when unused."""

    company_ids: tuple[int, ...]
    window: DateWindow | None = None
    lead_status: str | None = None
    person_lead: bool | None = None
    tags: tuple[str, ...] = field(default=())
    source: str | None = None
    search: str = ""


def form_submission_list(*, account: Account, filters: FormFilters) -> QuerySet[FormSubmission]:
    """The account's submissions matching ``filters``, newest first (the API's order)."""
    queryset: QuerySet[FormSubmission] = FormSubmission.objects.filter(
        account=account, company_id__in=filters.company_ids
    )
    if filters.window is not None:
        queryset = form_submissions_in_window(queryset, filters.window)
    if filters.lead_status:
        queryset = queryset.filter(form_lead_status_q(filters.lead_status))
    if filters.person_lead is not None:
        queryset = form_submissions_with_person(queryset, filters.person_lead)
    if filters.tags:
        queryset = form_submissions_tagged(queryset, filters.tags)
    if filters.source:
        queryset = queryset.filter(source=filters.source)
    if filters.search:
        queryset = form_submissions_search(queryset, filters.search)
    return queryset.order_by("-submitted_at", "-id")


def form_sources(*, account: Account, company_ids: Iterable[int], window: DateWindow | None) -> list[str]:
    """The sources of the submissions in the period, for the source filter's choices (bounded)."""
    queryset: QuerySet[FormSubmission] = FormSubmission.objects.filter(
        account=account, company_id__in=list(company_ids)
    ).exclude(source="")
    if window is not None:
        queryset = form_submissions_in_window(queryset, window)
    return list(queryset.order_by("source").values_list("source", flat=True).distinct()[:100])
