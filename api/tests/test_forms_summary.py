import pytest

from accounts.models import Tag
from api.tests.factories import FormSubmissionFactory

pytestmark = pytest.mark.django_db


def url(account, query=""):
    return f"/v3/a/{account.public_id}/forms/summary.json" + (f"?{query}" if query else "")


def test_it_summarises_forms_grouped_by_source(api_client, account, company):
    FormSubmissionFactory.create_batch(2, company=company, source="direct", first_form=True, lead_status="good_lead")
    FormSubmissionFactory(company=company, source="google_paid", first_form=False, form_name="Quote")
    response = api_client.get(url(account, "fields=total_forms,first_forms,leads&group_by=source"))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"start_date", "end_date", "time_zone", "total_results", "grouped_by", "grouped_results"}
    assert body["total_results"] == {"total_forms": 3, "first_forms": 2, "leads": 2}
    assert body["grouped_by"] == "source"
    assert body["grouped_results"][0] == {"key": "Direct", "total_forms": 2, "first_forms": 2, "leads": 2}
    assert body["grouped_results"][1]["key"] == "Google Ads"
    assert body["time_zone"] == "America/New_York"


def test_it_filters_and_defaults_to_total_forms(api_client, account, company, other_company):
    tagged = FormSubmissionFactory(company=company, form_url="https://x.example/contact", form_name="Contact")
    tagged.tags.add(Tag.objects.create(account=account, company=company, name="Hot"))
    FormSubmissionFactory(company=company, lead_status="not_a_lead")
    FormSubmissionFactory(company=other_company)
    assert api_client.get(url(account)).json()["total_results"] == {"total_forms": 2}
    assert api_client.get(url(account, "tags=Hot,Cold")).json()["total_results"]["total_forms"] == 1
    assert (
        api_client.get(url(account, "form_URL=https://x.example/contact")).json()["total_results"]["total_forms"] == 1
    )
    assert api_client.get(url(account, "lead_status=not_a_lead")).json()["total_results"]["total_forms"] == 1
    ids = f"custom_form_ids[]={tagged.public_id}"
    assert api_client.get(url(account, ids)).json()["total_results"]["total_forms"] == 1
    grouped = api_client.get(url(account, "group_by=form_name")).json()["grouped_results"]
    assert {row["key"] for row in grouped} == {"Contact", None}
    assert api_client.get(url(account, "group_by=nope")).status_code == 400
    assert api_client.get(url(account, "fields=calls")).status_code == 400
    assert api_client.get(url(account, f"company_id={other_company.public_id}")).status_code == 404


def test_it_needs_a_key(client, account):
    assert client.get(url(account)).status_code == 401
