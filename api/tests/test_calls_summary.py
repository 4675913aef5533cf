from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Tag, User
from api.tests.factories import CallFactory, TrackerFactory

pytestmark = pytest.mark.django_db

ALL = "total_calls,missed_calls,answered_calls,first_time_callers,average_duration,formatted_average_duration,leads"


def url(account, query=""):
    return f"/v3/a/{account.public_id}/calls/summary.json" + (f"?{query}" if query else "")


@pytest.fixture
def calls(company):
    bing = [
        CallFactory(company=company, source="bing_paid", duration=170, answered=True, lead_status="good_lead"),
        CallFactory(company=company, source="bing_paid", duration=188, answered=False, first_call=False),
    ]
    billboard = CallFactory(company=company, source="offline", duration=45, answered=True, device_type="mobile")
    CallFactory(company=company, source="bing_paid", spam=True)
    return bing, billboard


def test_it_summarises_grouped_by_source(api_client, account, calls):
    response = api_client.get(url(account, f"group_by=source&fields={ALL}"))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"start_date", "end_date", "time_zone", "total_results", "grouped_by", "grouped_results"}
    assert body["total_results"] == {
        "total_calls": 3,
        "missed_calls": 1,
        "answered_calls": 2,
        "first_time_callers": 2,
        "average_duration": 134,
        "formatted_average_duration": "2m 14s",
        "leads": 1,
    }
    assert body["grouped_by"] == "source"
    first = body["grouped_results"][0]
    assert first["key"] == "Bing Ads"
    assert first["total_calls"] == 2
    assert first["average_duration"] == 179
    assert first["formatted_average_duration"] == "2m 59s"
    assert body["grouped_results"][1]["key"] == "Offline"
    assert body["start_date"].endswith(("-0500", "-0400"))
    assert body["end_date"][11:19] == "23:59:59"


def test_it_defaults_to_total_calls(api_client, account, calls):
    body = api_client.get(url(account)).json()
    assert body["total_results"] == {"total_calls": 3}
    assert "grouped_results" not in body
    grouped = api_client.get(url(account, "group_by=company")).json()["grouped_results"]
    assert grouped == [{"key": "Alice Plumbing", "total_calls": 3}]


def test_it_applies_every_filter(api_client, account, company, calls, admin_user):
    bing, billboard = calls
    tracker = TrackerFactory(company=company)
    tagged = CallFactory(company=company, tracker=tracker, direction="outbound", agent=admin_user, duration=5)
    tagged.tags.add(Tag.objects.create(account=account, company=company, name="Sales"))

    def total(query):
        response = api_client.get(url(account, query))
        assert response.status_code == 200, response.json()
        return response.json()["total_results"]["total_calls"]

    assert total("device=mobile") == 1
    assert total("device=all") == 4
    assert total("min_duration=100") == 2
    assert total("max_duration=50") == 2
    assert total("tags=Sales,Other") == 1
    assert total("tags[]=Sales") == 1
    assert total(f"tracker_ids[]={tracker.public_id}") == 1
    assert total("direction=outbound") == 1
    assert total("direction=all") == 4
    assert total("answer_status=missed") == 1
    assert total("answer_status=answered") == 3
    assert total("first_time_callers=false") == 1
    assert total("lead_status=good_lead") == 1
    assert total("lead_status=not_scored") == 3
    assert total(f"agent={admin_user.public_id}") == 1
    assert total("search=bing") == 2
    assert total(f"company_id={company.public_id}") == 4
    assert total("date_range=yesterday") == 0
    for bad in ("group_by=color", "fields=calls", "device=tablet", "min_duration=soon", "first_time_callers=maybe"):
        response = api_client.get(url(account, bad))
        assert response.status_code == 400, bad
        assert "error" in response.json()


def test_it_respects_company_access_and_other_accounts(
    api_client, account, other_account, other_company, make_api_client
):
    CallFactory(company=other_company)
    assert api_client.get(url(account)).json()["total_results"]["total_calls"] == 0
    assert api_client.get(url(other_account)).status_code == 404
    assert api_client.get(url(account, f"company_id={other_company.public_id}")).status_code == 404
    reporter = User.objects.create_user(email="r@example.com", account=account, role=User.Role.REPORTING)
    assert make_api_client(reporter).get(url(account)).json()["total_results"]["total_calls"] == 0


def test_it_rejects_dates_beyond_retention(api_client, account):
    old = (timezone.now() - timedelta(days=800)).date().isoformat()
    response = api_client.get(url(account, f"start_date={old}"))
    assert response.status_code == 400
    assert "25 months" in response.json()["error"]


def test_it_needs_a_key(client, account):
    assert client.get(url(account)).status_code == 401
