"""A company's call conversions for the ad platforms: which calls count, what each is worth,
the Google Ads and GA4 credentials (secrets write-only), the Google Ads feed URL with its
rotation, and the feed as a CSV download.

Every role reads the page (reporting users see the rule and the download, without the
controls or the feed's secret URL); admins and managers change it, through the service the
company API uses (``integrations.conversions``), which writes the audit trail.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from accounts.models import Company, Tag
from dashboard.conversion_forms import ConversionSettingsForm
from dashboard.views.account_base import AccountPage, ConfirmView
from dashboard.views.integrations import IntegrationsMixin
from integrations.conversions import (
    SECRET_FIELDS,
    conversion_settings_get,
    conversion_settings_update,
    feed_path,
    feed_token_rotate,
    google_ads_feed_csv,
)
from integrations.models import ConversionSettings
from telephony.links import absolute_url


def _tag_names(company: Company) -> list[str]:
    tags = Tag.objects.filter(account_id=company.account_id, status=Tag.Status.ENABLED).filter(
        Q(company__isnull=True) | Q(company=company)
    )
    return sorted(set(tags.values_list("name", flat=True)), key=str.lower)


class ConversionsMixin(IntegrationsMixin):
    """Readable by every role; changes need an editor (403 for a reporting user's POST)."""

    roles = None
    editor_required = True

    def require_editor(self) -> None:
        if not self.scope.can_edit:
            raise PermissionDenied("Reporting users cannot change conversion settings.")


class ConversionsView(ConversionsMixin, AccountPage):
    template_name = "dashboard/account/conversions.html"
    title = "Call conversions"
    lead = "Tell Google Ads and Google Analytics which calls your ads and visits became."

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        company = self.scope.company
        if company is None:
            return {**context, "companies": self.companies_overview()}
        settings = conversion_settings_get(company)
        form = kwargs.get("form") or ConversionSettingsForm(
            initial=ConversionSettingsForm.initial_for(settings),
            tag_names=_tag_names(company),
            settings=settings,
            read_only=not self.scope.can_edit,
        )
        return {
            **context,
            "company": company,
            "settings": settings,
            "form": form,
            "secrets_set": {name: bool(settings and getattr(settings, name)) for name in SECRET_FIELDS},
            "feed_url": absolute_url(feed_path(settings)) if settings and self.scope.can_edit else "",
            "can_edit": self.scope.can_edit,
        }

    def companies_overview(self) -> list[Company]:
        companies = list(Company.objects.filter(pk__in=self.scope.company_ids).order_by("name", "pk"))
        settings = {row.company_id: row for row in ConversionSettings.objects.filter(company__in=companies)}
        for company in companies:
            company.conversions = settings.get(company.pk)  # type: ignore[attr-defined]
        return companies

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        company = self.company_or_404()
        self.require_editor()
        settings = conversion_settings_get(company)
        form = ConversionSettingsForm(request.POST, tag_names=_tag_names(company), settings=settings, read_only=False)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        rule, credentials = form.changes()
        conversion_settings_update(company=company, call_conversion=rule, **credentials)
        messages.success(request, f"Call conversion settings of {company.name} are saved.")
        return HttpResponseRedirect(self.page_url("dashboard:conversions"))


class FeedCsvView(ConversionsMixin, AccountPage):
    """The company's Google Ads click-conversion feed, as a file to upload by hand."""

    http_method_names = ["get"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        company = self.company_or_404()
        response = HttpResponse(google_ads_feed_csv(company), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{company.public_id}-google-ads-conversions.csv"'
        response["Cache-Control"] = "no-store"
        return response


class FeedTokenRotateView(ConversionsMixin, ConfirmView):
    title = "New Google Ads feed URL"
    button = "Make a new URL"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        self.require_editor()
        self.question = f"Give the Google Ads feed of {self.company_or_404().name} a new URL?"
        return super().get_context_data(**kwargs)

    def details(self) -> str:
        return (
            "The current URL stops working at once: Google Ads' scheduled upload fails until you give it the new URL."
        )

    def cancel_url(self) -> str:
        return self.page_url("dashboard:conversions")

    def confirmed(self) -> str:
        self.require_editor()
        feed_token_rotate(company=self.company_or_404())
        messages.success(self.request, "The feed has a new URL. Give it to Google Ads' scheduled upload.")
        return self.page_url("dashboard:conversions")
