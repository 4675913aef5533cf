"""The call log (``/calls/``): the same calls in the same order as the API's call list for the
same filters, search and sort; keyset pages; a fixed number of queries per page; the CSV
export of exactly the filtered rows; the walls."""

import csv
import io
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from api.tests.factories import CallFactory
from dashboard.call_log import cursor_token
from dashboard.tests.calls_data import seed_call_log
from telephony.selectors import Cursor

pytestmark = pytest.mark.django_db

ROW = re.compile(r'data-call-id="(CAL[0-9a-f]+)"')


def log_ids(client, query=""):
    response = client.get(reverse("dashboard:calls") + query)
    assert response.status_code == 200
    return ROW.findall(response.content.decode())


def api_ids(api_client, account, query):
    response = api_client.get(f"/v3/a/{account.public_id}/calls.json?per_page=250&{query}")
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["calls"]]


@pytest.fixture
def calls(company, second_company, account):
    return seed_call_log(company, second_company)


SAME_QUESTIONS = [
    ("", ""),
    ("answer_status=missed", "answer_status=missed"),
    ("answer_status=voicemail&lead_status=good_lead", "answer_status=voicemail&lead_status=good_lead"),
    ("lead_status=not_scored&direction=inbound", "lead_status=not_scored&direction=inbound"),
    ("tags=Sales", "tags=Sales"),
    ("search=macon", "search=macon"),
    ("search=heater", "search=heater"),
    ("search=Google+Ads", "search=Google+Ads"),
    ("source=facebook.com&first_time_callers=false", "source=facebook.com&first_time_callers=false"),
    ("campaign=spring&has_recording=false", "campaign=spring&has_recording=false"),
    ("min_duration=30&max_duration=90", "min_duration=30&max_duration=90"),
    ("sort=duration", "sort=duration&order=asc"),
    ("sort=-duration", "sort=duration&order=desc"),
    ("sort=customer_name", "sort=customer_name"),
    ("sort=-lead_status&answer_status=answered", "sort=lead_status&order=desc&answer_status=answered"),
    ("sort=tags", "sort=tags"),
    ("sort=source", "sort=source"),
    ("sort=start_time", "sort=start_time&order=asc"),
]


@pytest.mark.parametrize(("log_query", "api_query"), SAME_QUESTIONS)
def test_it_lists_what_the_api_lists(client, api_client, admin_user, account, calls, log_query, api_query):
    client.force_login(admin_user)
    query = f"?date_range=last_7_days&per_page=100&{log_query}"
    expected = api_ids(api_client, account, f"date_range=last_7_days&time_zone=America/New_York&{api_query}")
    assert expected, "the question should find some calls"
    assert log_ids(client, query) == expected


def test_it_lists_a_trackers_and_a_companys_calls_as_the_api_does(
    client, api_client, admin_user, account, company, calls
):
    client.force_login(admin_user)
    tracker = calls[1].tracker
    # The call log's default period is the API's last_30_days (which ends yesterday).
    period = "date_range=last_30_days&time_zone=America/New_York"
    assert log_ids(client, f"?tracker_id={tracker.public_id}&per_page=100") == api_ids(
        api_client, account, f"tracker_id={tracker.public_id}&{period}"
    )
    assert log_ids(client, f"?company={company.public_id}&per_page=100") == api_ids(
        api_client, account, f"company_id={company.public_id}&{period}"
    )


def test_pages_follow_each_other_by_keyset(client, api_client, admin_user, account, calls):
    client.force_login(admin_user)
    everything = api_ids(
        api_client, account, "sort=duration&order=desc&date_range=last_30_days&time_zone=America/New_York"
    )
    seen, url = [], reverse("dashboard:calls") + "?sort=-duration&per_page=25"
    pages = 0
    while url:
        body = client.get(url).content.decode()
        seen += ROW.findall(body)
        pages += 1
        match = re.search(r'rel="next" href="([^"]+)"', body)
        url = reverse("dashboard:calls") + match.group(1).replace("&amp;", "&") if match else None
    assert pages == 2
    assert seen == everything
    # And back again from the last page.
    previous = re.search(r'rel="prev" href="([^"]+)"', body).group(1).replace("&amp;", "&")
    assert log_ids(client, previous) == everything[:25]


def test_the_first_page_is_the_real_one_going_back(client, admin_user, calls):
    client.force_login(admin_user)
    today = timezone.localdate(timezone=ZoneInfo("America/New_York"))
    period = f"?start_date={today - timedelta(days=20)}&end_date={today}&per_page=25"
    first = log_ids(client, period)
    newest = CallFactory(company=calls[1].company, start_time=timezone.now())
    # A "previous" link that leads to page 1 shows the call that arrived since.
    back = cursor_token(Cursor(key=calls[0].start_time, id=calls[0].pk, backwards=True, page=1))
    assert log_ids(client, f"{period}&page={back}") == [newest.public_id, *first[:24]]


def test_a_page_costs_the_same_queries_whatever_its_size(client, admin_user, calls, django_assert_max_num_queries):
    client.force_login(admin_user)
    counts = []
    for size in (25, 100):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("dashboard:calls") + f"?per_page={size}&tags=Sales").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(8):
        client.get(reverse("dashboard:calls") + "?per_page=100")


def test_what_cannot_be_read_is_dropped_with_a_notice(client, admin_user, calls):
    client.force_login(admin_user)
    response = client.get(
        reverse("dashboard:calls"),
        {"answer_status": "sideways", "min_duration": "soon", "sort": "-banana", "page": "not-a-cursor"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "could not be read" in body
    assert "cannot be sorted by" in body
    assert "page link could not be read" in body
    assert len(ROW.findall(body)) == 25


def test_a_forged_cursor_of_another_type_is_refused_not_a_crash(client, admin_user, calls):
    client.force_login(admin_user)
    # A cursor written for the duration sort, used on the time sort.
    token = cursor_token(Cursor(key=30, id=1, page=2))
    response = client.get(reverse("dashboard:calls"), {"page": token})
    assert response.status_code == 200
    assert "page link could not be read" in response.content.decode()


def test_spam_stays_out(client, admin_user, calls):
    client.force_login(admin_user)
    assert calls[29].public_id not in log_ids(client, "?per_page=100&date_range=last_30_days")


def test_a_reporting_user_sees_only_their_companies_calls(client, make_user, company, calls):
    reporter = make_user(User.Role.REPORTING, company)
    client.force_login(reporter)
    shown = log_ids(client, "?per_page=100")
    assert shown
    assert all(call.company_id == company.pk for call in calls if call.public_id in shown)
    assert not any(call.public_id in shown for call in calls if call.company_id != company.pk)


def test_other_accounts_calls_never_show(client, admin_user, other_company, calls):
    foreign = CallFactory(company=other_company)
    client.force_login(admin_user)
    assert foreign.public_id not in log_ids(client, "?per_page=100")


def test_rows_link_the_call_and_play_its_recording(client, admin_user, calls):
    client.force_login(admin_user)
    body = client.get(reverse("dashboard:calls") + "?per_page=100").content.decode()
    recorded = calls[2]
    assert reverse("dashboard:call-detail", args=[recorded.public_id]) in body
    assert f"/calls/{recorded.public_id}/recording/redirect?access_key=" in body


def test_an_empty_period_says_so(client, admin_user, company):
    client.force_login(admin_user)
    body = client.get(reverse("dashboard:calls")).content.decode()
    assert "empty-state" in body
    assert "No calls in this period" in body


# --- CSV ---------------------------------------------------------------------------------------


def export(client, query=""):
    response = client.get(reverse("dashboard:calls-export") + query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.streaming
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_export_has_exactly_the_filtered_rows_in_order(client, api_client, admin_user, account, calls):
    client.force_login(admin_user)
    rows = export(client, "?answer_status=answered&sort=-duration&date_range=last_30_days&page=ignored")
    expected = api_ids(api_client, account, "answer_status=answered&sort=duration&order=desc&date_range=last_30_days")
    assert [row["id"] for row in rows] == expected
    first = next(row for row in rows if row["id"] == calls[2].public_id)
    assert first["tags"] == "Sales"
    assert first["recorded"] == "yes"
    assert first["source"] == "facebook.com"
    paid = next(row for row in rows if row["id"] == calls[3].public_id)
    assert paid["source"] == "Google Ads"


def test_the_export_defuses_spreadsheet_formulas(client, admin_user, company):
    CallFactory(
        company=company,
        start_time=timezone.now() - timedelta(days=2),
        customer_name='=HYPERLINK("http://evil")',
        note="+cmd",
        customer_phone_number="+14045550100",
    )
    client.force_login(admin_user)
    row = export(client)[0]
    assert row["customer_name"].startswith("'=")
    assert row["note"] == "'+cmd"
    assert row["customer_phone_number"] == "+14045550100"


def test_the_export_follows_the_walls(client, make_user, company, second_company, calls):
    reporter = make_user(User.Role.REPORTING, company)
    client.force_login(reporter)
    ids = {row["id"] for row in export(client, "?date_range=last_30_days")}
    assert ids == {c.public_id for c in calls if c.company_id == company.pk and not c.spam}
    assert client.get(reverse("dashboard:calls-export") + f"?company={second_company.public_id}").status_code == 404


def test_the_export_needs_a_sign_in(client):
    response = client.get(reverse("dashboard:calls-export"))
    assert response.status_code == 302


def test_superscript_digits_are_dropped_not_a_crash(client, admin_user, calls):
    client.force_login(admin_user)
    response = client.get(reverse("dashboard:calls"), {"min_duration": "²", "per_page": "²⁵", "tracker_id": "¹"})
    assert response.status_code == 200
    assert client.get(reverse("dashboard:call-detail", args=["¹²"])).status_code == 404
