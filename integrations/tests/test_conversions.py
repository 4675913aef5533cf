"""Call conversions: each company's rule, recorded once per call, and the Google Ads feed of them."""

import csv
import io
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.models import Tag
from api.tests.factories import CallFactory
from integrations.conversions import (
    FEED_COLUMNS,
    Rule,
    call_conversion_status,
    call_qualifies,
    click_id_of,
    conversion_settings_update,
    feed_path,
    feed_token_rotate,
    ga_ids,
)
from integrations.models import CallConversion, ConversionDelivery
from telephony import signals
from telephony.models import Call
from telephony.services.edits import call_update

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def rule(company):
    return conversion_settings_update(
        company=company,
        call_conversion={
            "enabled": True,
            "min_duration": 60,
            "answered_only": True,
            "tags": ["Booked"],
            "name": "Phone call",
            "value": Decimal("50.00"),
            "currency": "USD",
        },
    )


def finished_call(company, *, tags=(), **fields):
    call = CallFactory(company=company, **fields)
    for name in tags:
        tag, _ = Tag.objects.get_or_create(account=company.account, company=company, name=name)
        call.tags.add(tag)
    signals.call_completed.send(sender=Call, call=call)
    return call


def feed(client, settings):
    response = client.get(feed_path(settings))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return response.content.decode()


def test_the_feed_lists_exactly_the_qualifying_calls_with_a_click_id(client, company, rule):
    start = timezone.now().replace(microsecond=0) - timedelta(days=3)
    long_call = finished_call(company, tags=["Booked"], duration=90, gclid="Cj0-long", start_time=start)
    finished_call(company, tags=["Booked"], duration=20, gclid="Cj0-short")
    finished_call(company, tags=["Booked"], duration=90, gclid="")
    later = finished_call(company, duration=120, gclid="Cj0-later", start_time=start + timedelta(hours=1))
    finished_call(company, tags=["Booked"], duration=90, gclid="Cj0-missed", answered=False)

    text = feed(client, rule)
    assert "Cj0-later" not in text
    call_update(call=later, changes={"tags": ["Booked"]})
    text = feed(client, rule)

    lines = text.splitlines()
    assert lines[0] == "Parameters:TimeZone=America/New_York"
    rows = list(csv.reader(io.StringIO("\n".join(lines[1:]))))
    assert tuple(rows[0]) == FEED_COLUMNS
    assert rows[0][:5] == [
        "Google Click ID",
        "Conversion Name",
        "Conversion Time",
        "Conversion Value",
        "Conversion Currency",
    ]
    local = timezone.localtime(long_call.start_time, NEW_YORK).strftime("%Y-%m-%d %H:%M:%S")
    assert rows[1:] == [
        ["Cj0-long", "Phone call", local, "50.00", "USD", "", ""],
        [
            "Cj0-later",
            "Phone call",
            timezone.localtime(later.start_time, NEW_YORK).strftime("%Y-%m-%d %H:%M:%S"),
            "50.00",
            "USD",
            "",
            "",
        ],
    ]


def test_the_feed_keeps_90_days_and_puts_gbraid_and_wbraid_in_their_columns(client, company, rule):
    finished_call(
        company, tags=["Booked"], duration=90, gclid="Cj0-old", start_time=timezone.now() - timedelta(days=91)
    )
    finished_call(
        company, tags=["Booked"], duration=90, landing_page_url="https://example.com/?gbraid=0AAAA-gb&utm_source=google"
    )
    finished_call(company, tags=["Booked"], duration=90, landing_page_url="https://example.com/?wbraid=Cl-wb")
    rows = list(csv.reader(io.StringIO(feed(client, rule))))[2:]
    assert [(row[0], row[5], row[6]) for row in rows] == [("", "0AAAA-gb", ""), ("", "", "Cl-wb")]


def test_the_feed_url_needs_its_current_token(client, company, rule, other_company):
    old = feed_path(rule)
    assert client.get(old).status_code == 200
    assert client.get(old.replace(rule.feed_token, "x" * 32)).status_code == 404
    assert client.get(old.replace(company.public_id, other_company.public_id)).status_code == 404
    rotated = feed_token_rotate(company=company)
    assert client.get(old).status_code == 404
    assert client.get(feed_path(rotated)).status_code == 200


def test_a_conversion_is_recorded_once_and_marked_when_it_stops_qualifying(company, rule):
    call = finished_call(company, tags=["Booked"], duration=90, gclid="Cj0", value=Decimal("12.00"))
    conversion = CallConversion.objects.get(call=call)
    assert (conversion.click_id, conversion.click_id_type, conversion.value) == ("Cj0", "gclid", Decimal("50.00"))
    call_update(call=call, changes={"tags": []})
    conversion.refresh_from_db()
    assert conversion.no_longer_qualifies_at is not None
    assert call_conversion_status(call)["no_longer_qualifies"] is True
    call_update(call=call, changes={"tags": ["Booked"]})
    assert CallConversion.objects.filter(call=call).count() == 1
    assert CallConversion.objects.get(call=call).no_longer_qualifies_at is None


def test_the_value_is_the_calls_own_without_a_fixed_one(company, rule):
    conversion_settings_update(company=company, call_conversion={"value": None, "tags": []})
    call = finished_call(company, duration=90, value=Decimal("80.50"))
    assert CallConversion.objects.get(call=call).value == Decimal("80.50")


def test_a_company_without_a_rule_records_nothing(company):
    finished_call(company, duration=300, gclid="Cj0")
    assert not CallConversion.objects.exists()


def test_each_condition_of_the_rule():
    call = Call(
        direction=Call.Direction.INBOUND,
        status=Call.Status.COMPLETED,
        answered=True,
        duration=90,
        first_call=True,
        lead_status=None,
    )
    assert call_qualifies(call, Rule(enabled=True), set())
    assert not call_qualifies(call, Rule(enabled=False), set())
    assert not call_qualifies(call, Rule(enabled=True, min_duration=91), set())
    assert not call_qualifies(call, Rule(enabled=True, good_lead_only=True), set())
    assert not call_qualifies(call, Rule(enabled=True, tags=("Booked",)), {"Other"})
    assert call_qualifies(call, Rule(enabled=True, tags=("Booked", "Sale")), {"Sale"})
    call.first_call = False
    assert not call_qualifies(call, Rule(enabled=True, first_time_only=True), set())
    call.lead_status = Call.LeadStatus.GOOD_LEAD
    assert call_qualifies(call, Rule(enabled=True, good_lead_only=True), set())
    call.answered = False
    assert not call_qualifies(call, Rule(enabled=True), set())
    assert call_qualifies(call, Rule(enabled=True, answered_only=False), set())
    call.status = Call.Status.IN_PROGRESS
    assert not call_qualifies(call, Rule(enabled=True, answered_only=False), set())


def test_click_ids_and_ga_ids_are_read_from_the_visit():
    assert click_id_of(Call(gclid="abc", landing_page_url="https://x.example/?wbraid=w")) == ("abc", "gclid")
    assert click_id_of(Call(landing_page_url="https://x.example/?wbraid=w")) == ("w", "wbraid")
    assert click_id_of(Call(landing_page_url="")) == ("", "")
    assert ga_ids({"_ga": "GA1.1.1234567890.1700000000", "_ga_ABC123": "GS1.1.1700000500.3.1.1700000600.0.0.0"}) == (
        "1234567890.1700000000",
        "1700000500",
    )
    assert ga_ids({"_ga": "GA1.2.55.66", "_ga_X": "GS2.1.s1700000999$o2$g1$t1700001000"}) == ("55.66", "1700000999")
    assert ga_ids({"_ga": "garbage"}) == ("", "")


def test_the_status_of_a_call_for_its_page(company, rule):
    conversion_settings_update(
        company=company,
        ga4_measurement_id="G-TEST123",
        ga4_api_secret="secret",
        google_ads_customer_id="123-456-7890",
        google_ads_conversion_action="987654",
        google_ads_developer_token="dev",
        google_ads_refresh_token="refresh",
    )
    nothing = finished_call(company, duration=5)
    assert call_conversion_status(nothing) == {
        "conversion": False,
        "name": None,
        "value": None,
        "currency": None,
        "no_longer_qualifies": False,
        "destinations": {"google_ads": None, "ga4": None},
    }
    call = finished_call(
        company, tags=["Booked"], duration=90, gclid="Cj0", cookies={"_ga": "GA1.1.1234567890.1700000000"}
    )
    status = call_conversion_status(call)
    assert status["conversion"] is True
    assert status["destinations"]["google_ads"]["status"] == ConversionDelivery.Status.PENDING
    assert status["destinations"]["ga4"]["status"] == ConversionDelivery.Status.PENDING
