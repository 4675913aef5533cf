"""The Google Ads feed of a company's call conversions, read by Google Ads' scheduled uploads.

Public (Google fetches it without a session): the secret token in its path is the credential,
so an unknown company and a wrong token get the same 404.
"""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from integrations.conversions import google_ads_feed_company, google_ads_feed_csv


@require_GET
def google_ads_feed(request: HttpRequest, company_id: str, token: str) -> HttpResponse:
    company = google_ads_feed_company(company_id, token)
    if company is None:
        return HttpResponse("Not found.\n", status=404, content_type="text/plain; charset=utf-8")
    response = HttpResponse(google_ads_feed_csv(company), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{company.public_id}-google-ads-conversions.csv"'
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
