"""The form submissions list and a submission's page: the same submissions as the API for
the same filters, search, keyset pages, a fixed number of queries, the walls."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from api.tests.factories import FormSubmissionFactory

pytestmark = pytest.mark.django_db


def listed(client, query=""):
    """The submission ids on the dashboard's list, in order."""
    html = client.get(reverse("dashboard:forms") + query).content.decode()
    return re.findall(r'href="/forms/(FOR[0-9a-f]{32})/', html)


def from_api(api_client, account, query=""):
    body = api_client.get(f"/v3/a/{account.public_id}/form_submissions.json?per_page=250&{query}").json()
    return [row["id"] for row in body["form_submissions"]]


@pytest.fixture
def submissions(company, second_company):
    now = timezone.now()
    rows = []
    for days, lead_status, source, owner in (
        (1, "good_lead", "Google Ads", company),
        (2, "not_a_lead", "Facebook", company),
        (3, None, "Google Ads", company),
        (4, None, "Direct", second_company),
        (10, "good_lead", "Direct", second_company),
        (40, "good_lead", "Google Ads", company),  # before the last 30 days
    ):
        rows.append(
            FormSubmissionFactory(
                company=owner,
                lead_status=lead_status,
                source=source,
                submitted_at=now - timedelta(days=days, hours=1),
                form_data={"name": f"Customer {days}", "message": f"Leak in room {days}"},
                customer_name=f"Customer {days}",
            )
        )
    return rows


@pytest.mark.parametrize(
    ("dashboard_query", "api_query"),
    [
        ("", "date_range=last_30_days"),
        ("?lead_status=good_lead", "date_range=last_30_days&lead_status=good_lead"),
        ("?lead_status=not_scored", "date_range=last_30_days&lead_status=not_scored"),
        ("?date_range=last_7_days&lead_status=not_a_lead", "date_range=last_7_days&lead_status=not_a_lead"),
        ("?date_range=this_month", "date_range=this_month"),
    ],
)
def test_the_list_agrees_with_the_api(client, api_client, account, admin_user, submissions, dashboard_query, api_query):
    client.force_login(admin_user)
    # All companies follow the user's zone on both sides.
    assert listed(client, dashboard_query) == from_api(api_client, account, f"{api_query}&time_zone=America/New_York")


def test_one_company_agrees_with_the_api(client, api_client, account, admin_user, submissions, second_company):
    client.force_login(admin_user)
    query = f"company={second_company.public_id}"
    assert listed(client, f"?{query}") == from_api(
        api_client,
        account,
        f"company_id={second_company.public_id}&date_range=last_30_days&time_zone={second_company.time_zone}",
    )
    assert len(listed(client, f"?{query}")) == 2


def test_it_filters_by_source_and_searches_the_fields(client, admin_user, submissions):
    client.force_login(admin_user)
    google = {row.public_id for row in submissions if row.source == "Google Ads"}
    assert set(listed(client, "?source=Google+Ads")) == google - {submissions[-1].public_id}
    assert listed(client, "?search=room+2") == [submissions[1].public_id]
    assert listed(client, "?search=customer+3") == [submissions[2].public_id]
    html = client.get(reverse("dashboard:forms") + "?search=nothing-like-it").content.decode()
    assert "No form submission matches these filters." in html


def test_it_pages_by_keyset(client, admin_user, company):
    now = timezone.now()
    made = [FormSubmissionFactory(company=company, submitted_at=now - timedelta(days=1, minutes=n)) for n in range(30)]
    client.force_login(admin_user)
    first = listed(client)
    assert first == [row.public_id for row in made[:25]]
    html = client.get(reverse("dashboard:forms")).content.decode()
    older = re.search(r'href="\?page=(older-FOR[0-9a-f]+)" rel="next"', html).group(1)
    second = listed(client, f"?page={older}")
    assert second == [row.public_id for row in made[25:]]
    html = client.get(reverse("dashboard:forms") + f"?page={older}").content.decode()
    assert 'rel="next"' not in html
    newer = re.search(r'href="\?(page=newer-FOR[0-9a-f]+)?" rel="prev"', html)
    assert newer is not None
    # Back to the top: the first page, full.
    assert listed(client, f"?{newer.group(1) or ''}") == first


def test_the_list_reads_a_fixed_number_of_times(client, admin_user, company, django_assert_max_num_queries):
    for n in range(40):
        FormSubmissionFactory(company=company, submitted_at=timezone.now() - timedelta(hours=n + 1))
    client.force_login(admin_user)
    # Session, user, companies, account; the page, its count and the sources.
    with django_assert_max_num_queries(8):
        assert client.get(reverse("dashboard:forms") + "?lead_status=not_scored").status_code == 200


def test_a_submission_shows_its_fields_and_where_it_came_from(client, reporting_user, company):
    submission = FormSubmissionFactory(
        company=company,
        form_data={"first_name": "Dana", "service": ["Leak", "Drain"]},
        customer_name="Dana Reyes",
        campaign="Spring",
        medium="cpc",
    )
    client.force_login(reporting_user)
    response = client.get(reverse("dashboard:form-submission", args=[submission.public_id]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Dana Reyes</h1>" in html
    assert "First name" in html and "Leak, Drain" in html
    assert "Spring" in html and "https://www.google.com/" in html


def test_other_accounts_and_hidden_companies_are_404(client, reporting_user, second_company, other_company):
    client.force_login(reporting_user)  # sees ``company`` only
    for owner in (other_company, second_company):
        submission = FormSubmissionFactory(company=owner)
        assert client.get(reverse("dashboard:form-submission", args=[submission.public_id])).status_code == 404
        assert submission.public_id not in listed(client)


@pytest.mark.parametrize("name", ["dashboard:forms", "dashboard:texts", "dashboard:live", "dashboard:live-feed"])
def test_no_query_makes_an_error(client, manager_user, submissions, name):
    client.force_login(manager_user)
    for query in ("?search=%00", "?source=a%00b", "?page=older-FOR%00", "?lead_status=x", "?page=newer-", "?show=%00"):
        assert client.get(reverse(name) + query).status_code == 200, query
