"""Trackers: list, show, create, update, disable (one file per resource action group)."""

from unittest import mock

import pytest

from accounts.models import User
from api.tests.factories import TrackerFactory, TrackingNumberFactory
from telephony.models import SimulatedCarrierRequest
from tracking.models import Tracker, TrackingNumber

pytestmark = pytest.mark.django_db

TRACKER_KEYS = {
    "id",
    "name",
    "type",
    "status",
    "destination_number",
    "tracking_numbers",
    "whisper_message",
    "sms_enabled",
    "sms_supported",
    "company",
    "call_flow",
    "source",
    "created_at",
    "disabled_at",
}
BASIC_FLOW = {
    "type": "basic",
    "recording_enabled": True,
    "destination_number": "+15553104554",
    "greeting_text": "This call will be recorded for quality assurance",
}


def url(account, suffix=""):
    return f"/v3/a/{account.public_id}/trackers{suffix}.json"


def released_sids():
    return set(
        SimulatedCarrierRequest.objects.filter(action=SimulatedCarrierRequest.Action.RELEASE_NUMBER).values_list(
            "sid", flat=True
        )
    )


def test_it_lists_trackers_in_the_reference_shape(api_client, account, company):
    tracker = TrackerFactory(company=company, name="Widget Shop", whisper_message="Call from [source].")
    TrackingNumberFactory(tracker=tracker, number="+14045551111")
    response = api_client.get(url(account))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"page", "per_page", "total_pages", "total_records", "trackers"}
    row = body["trackers"][0]
    assert set(row) == TRACKER_KEYS
    assert row["id"] == tracker.public_id
    assert row["tracking_numbers"] == ["+14045551111"]
    assert row["company"] == {"id": company.public_id, "name": company.name}
    assert row["call_flow"]["type"] == "basic"
    assert row["destination_number"] == "+14045551234"
    assert row["source"] == {"type": "all"}
    assert row["sms_supported"] is True
    assert row["created_at"].endswith("Z")
    assert row["disabled_at"] is None


def test_it_filters_searches_sorts_and_selects_fields(api_client, account, company, other_company):
    TrackerFactory(company=company, name="Billboard", type="source", source={"type": "offline"}, campaign_name="Summer")
    TrackerFactory(company=company, name="Website", status="disabled")

    def names(query):
        response = api_client.get(url(account) + "?" + query)
        assert response.status_code == 200, response.json()
        return [row["name"] for row in response.json()["trackers"]]

    assert names("type=source") == ["Billboard"]
    assert names("status=disabled") == ["Website"]
    assert names("search=bill") == ["Billboard"]
    assert names("sort=name&order=desc") == ["Website", "Billboard"]
    assert names(f"company_id={company.public_id}&sort=name") == ["Billboard", "Website"]
    row = api_client.get(url(account) + "?fields=campaign_name,swap_targets&type=source").json()["trackers"][0]
    assert row["campaign_name"] == "Summer"
    assert row["swap_targets"] == ["+14045551234"]
    assert api_client.get(url(account) + "?type=bogus").status_code == 400


def test_it_shows_one_and_hides_other_accounts(api_client, account, company, other_company):
    mine = TrackerFactory(company=company)
    theirs = TrackerFactory(company=other_company)
    response = api_client.get(url(account, f"/{mine.public_id}"))
    assert response.status_code == 200
    assert set(response.json()) == TRACKER_KEYS
    assert api_client.get(url(account, f"/{mine.numeric_id}")).status_code == 200
    missing = api_client.get(url(account, f"/{theirs.public_id}"))
    assert missing.status_code == 404
    assert "error" in missing.json()
    assert api_client.get(url(account)).json()["total_records"] == 1


def test_it_needs_a_key(client, account):
    assert client.get(url(account)).status_code == 401


def test_it_creates_a_session_tracker_with_a_pool(api_client, account, company):
    response = api_client.post(
        url(account),
        {
            "type": "session",
            "name": "Website Call Tracker",
            "company_id": company.public_id,
            "swap_targets": ["7704761456", "(770) 555-1234"],
            "whisper_message": "Call from [source]",
            "sms_enabled": True,
            "pool_size": 4,
            "call_flow": BASIC_FLOW,
            "pool_numbers": {"area_code": "404"},
            "source": {"google": ["paid", "organic"], "bing": ["paid"]},
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == TRACKER_KEYS
    assert body["type"] == "session"
    assert len(body["tracking_numbers"]) == 4
    assert all(number.startswith("+1404") for number in body["tracking_numbers"])
    assert body["destination_number"] == "+15553104554"
    assert body["source"] == {"google": ["paid", "organic"], "bing": ["paid"]}
    tracker = Tracker.objects.get(public_id=body["id"])
    assert tracker.swap_targets == ["+17704761456", "+17705551234"]
    assert tracker.pool_size == 4
    assert tracker.numbers.filter(status="active").count() == 4


def test_it_creates_a_source_tracker(api_client, account, company):
    response = api_client.post(
        url(account),
        {
            "type": "source",
            "name": "My Billboard",
            "company_id": company.public_id,
            "call_flow": BASIC_FLOW,
            "tracking_number": {"toll_free": True},
            "source": {"type": "search", "search_engine": "google", "search_type": "organic"},
            "campaign_name": "Summer billboard campaign",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert len(body["tracking_numbers"]) == 1
    assert body["tracking_numbers"][0].startswith("+1888")
    assert body["sms_supported"] is False
    assert body["source"] == {"type": "search", "search_engine": "google", "search_type": "organic"}
    # Without swap targets, the destination number is the one swapped.
    assert Tracker.objects.get(public_id=body["id"]).swap_targets == ["+15553104554"]


def test_session_source_all_is_stored_as_an_object(api_client, account, company):
    response = api_client.post(
        url(account),
        {
            "type": "session",
            "name": "All visitors",
            "company_id": company.public_id,
            "pool_size": 4,
            "call_flow": BASIC_FLOW,
            "pool_numbers": {"local": "+14045558769"},
            "source": "all",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["source"] == {"type": "all"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"pool_size": 3}, "pool_size"),
        ({"pool_size": 51}, "pool_size"),
        ({"source": {"google": ["sometimes"]}}, "source.google"),
        ({"source": None}, "source"),
        ({"call_flow": {"type": "basic"}}, "call_flow"),
        ({"pool_numbers": {}}, "pool_numbers"),
        ({"name": ""}, "name"),
        ({"type": "pool"}, "type"),
    ],
)
def test_it_rejects_bad_input_and_buys_nothing(api_client, account, company, change, message):
    body = {
        "type": "session",
        "name": "Tracker",
        "company_id": company.public_id,
        "pool_size": 4,
        "call_flow": BASIC_FLOW,
        "pool_numbers": {"area_code": "404"},
        "source": "all",
        **change,
    }
    response = api_client.post(url(account), body, format="json")
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not Tracker.objects.exists()
    assert not SimulatedCarrierRequest.objects.exists()


def test_it_answers_422_when_no_number_is_available(api_client, account, company):
    body = {
        "type": "source",
        "name": "Nowhere",
        "company_id": company.public_id,
        "call_flow": BASIC_FLOW,
        # 999 is not an area code anyone sells.
        "tracking_number": {"area_code": "999"},
        "source": {"type": "offline"},
    }
    response = api_client.post(url(account), body, format="json")
    assert response.status_code in (400, 422)
    assert "error" in response.json()
    assert not Tracker.objects.exists()


def test_it_releases_numbers_bought_for_a_tracker_that_fails(api_client, account, company):
    body = {
        "type": "session",
        "name": "Doomed",
        "company_id": company.public_id,
        "pool_size": 4,
        "call_flow": BASIC_FLOW,
        "pool_numbers": {"area_code": "404"},
        "source": "all",
    }
    failing = mock.patch("telephony.trackers.Tracker.objects.create", side_effect=RuntimeError("disk full"))
    with failing, pytest.raises(RuntimeError):
        api_client.post(url(account), body, format="json")
    bought = set(
        SimulatedCarrierRequest.objects.filter(action=SimulatedCarrierRequest.Action.BUY_NUMBER).values_list(
            "sid", flat=True
        )
    )
    assert len(bought) == 4
    assert released_sids() == bought
    assert not Tracker.objects.exists()
    assert not TrackingNumber.objects.exists()


def test_reporting_users_cannot_create(account, company, make_api_client):
    reporter = User.objects.create_user(email="r@example.com", account=account, role=User.Role.REPORTING)
    reporter.companies.add(company)
    response = make_api_client(reporter).post(url(account), {"type": "session"}, format="json")
    assert response.status_code == 403
    assert response.json() == {"error": "You do not have permission to perform the requested action"}


def create_session(api_client, account, company, size=4):
    response = api_client.post(
        url(account),
        {
            "type": "session",
            "name": "Website",
            "company_id": company.public_id,
            "pool_size": size,
            "call_flow": BASIC_FLOW,
            "pool_numbers": {"area_code": "404"},
            "source": "all",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def test_pool_size_only_grows(api_client, account, company):
    tracker = create_session(api_client, account, company)
    shrink = api_client.put(url(account, f"/{tracker['id']}"), {"pool_size": 4 - 1 + 0}, format="json")
    assert shrink.status_code == 400
    grown = api_client.put(url(account, f"/{tracker['id']}"), {"pool_size": 6, "name": "Bigger"}, format="json")
    assert grown.status_code == 200, grown.json()
    assert len(grown.json()["tracking_numbers"]) == 6
    assert grown.json()["name"] == "Bigger"


def test_it_replaces_a_tracking_number(api_client, account, company, django_capture_on_commit_callbacks):
    tracker = create_session(api_client, account, company)
    old = tracker["tracking_numbers"][0]
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.put(url(account, f"/{tracker['id']}"), {"replace_tracking_number": old}, format="json")
    assert response.status_code == 200, response.json()
    numbers = api_client.get(url(account, f"/{tracker['id']}")).json()["tracking_numbers"]
    assert old not in numbers
    assert len(numbers) == 4
    assert all(number.startswith("+1404") for number in numbers)
    assert TrackingNumber.objects.get(number=old).status == "released"
    bad = api_client.put(url(account, f"/{tracker['id']}"), {"replace_tracking_number": "+19995550100"}, format="json")
    assert bad.status_code == 400


def test_it_updates_source_trackers_fields(api_client, account, company):
    tracker = TrackerFactory(company=company, type="source", source={"type": "offline"})
    TrackingNumberFactory(tracker=tracker)
    response = api_client.put(
        url(account, f"/{tracker.public_id}"),
        {
            "call_flow": {"type": "basic", "recording_enabled": False, "destination_number": "+14045559999"},
            "source": {"type": "web_referrer", "referrer": "facebook.com"},
            "swap_targets": ["7705551234"],
            "whisper_message": "",
            "campaign_name": "Summer",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["destination_number"] == "+14045559999"
    assert body["source"] == {"type": "web_referrer", "referrer": "facebook.com"}
    assert body["whisper_message"] is None
    tracker.refresh_from_db()
    assert tracker.campaign_name == "Summer"
    assert tracker.swap_targets == ["+17705551234"]


def test_it_disables_a_tracker_and_releases_its_numbers(api_client, account, company):
    tracker = create_session(api_client, account, company)
    response = api_client.delete(url(account, f"/{tracker['id']}"))
    assert response.status_code == 204
    assert response.content == b""
    row = Tracker.objects.get(public_id=tracker["id"])
    assert row.status == "disabled"
    assert row.disabled_at is not None
    assert not row.numbers.filter(status="active").exists()
    shown = api_client.get(url(account, f"/{tracker['id']}")).json()
    assert shown["status"] == "disabled"
    assert shown["disabled_at"] is not None


def test_it_refuses_to_disable_the_form_submission_outbound_number(api_client, account, company):
    tracker = TrackerFactory(company=company, form_submission_outbound=True)
    response = api_client.delete(url(account, f"/{tracker.public_id}"))
    assert response.status_code == 400
    assert response.json() == {
        "error": "You must select a different number for outbound Form Submission calls before disabling this tracker."
    }
    tracker.refresh_from_db()
    assert tracker.status == "active"


def test_it_cannot_touch_other_accounts_trackers(api_client, account, other_company):
    theirs = TrackerFactory(company=other_company)
    assert api_client.put(url(account, f"/{theirs.public_id}"), {"name": "x"}, format="json").status_code == 404
    assert api_client.delete(url(account, f"/{theirs.public_id}")).status_code == 404
