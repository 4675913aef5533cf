"""Call conversions and erasure in a real browser: a call's page says what Google Ads and GA4
did with it and which phone-link click it followed; a manager sets a company's conversion rule
and credentials, rotates the feed URL and a reporting user reads them without controls; an
admin erases a person from the privacy page and follows the erasure to its end."""

from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.models import Tag, User
from dashboard.tests.calls_data import full_call
from integrations.conversions import conversion_settings_update
from integrations.models import CallConversion, ConversionDelivery, ConversionSettings
from privacy.erasure import erasure_run
from privacy.models import Erasure
from telephony.models import Call
from tracking.models import ClickEvent

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_call_page_shows_its_conversion_and_the_click_before_it(
    page, live_url, sign_in, check_page, manager_user, company
):
    conversion_settings_update(
        company=company,
        call_conversion={"enabled": True, "min_duration": 60, "value": Decimal("25.00")},
        ga4_measurement_id="G-ABC1234",
        ga4_api_secret="ga4-secret",
        google_ads_customer_id="1234567890",
        google_ads_conversion_action="987654",
        google_ads_developer_token="dev-token",
        google_ads_refresh_token="refresh-token",
    )
    call = full_call(company)
    conversion = CallConversion.objects.create(
        account_id=call.account_id,
        company_id=call.company_id,
        call=call,
        name="Phone call",
        converted_at=call.start_time,
        value=Decimal("25.00"),
        currency="USD",
        click_id=call.gclid,
        click_id_type="gclid",
        ga_client_id="123.456",
    )
    ConversionDelivery.objects.create(
        conversion=conversion, destination="google_ads", status="sent", attempts=1, sent_at=call.start_time
    )
    ConversionDelivery.objects.create(
        conversion=conversion,
        destination="ga4",
        status="failed",
        attempts=5,
        reason="GA4 answered 500 five times.",
    )
    click = ClickEvent.objects.create(
        account=company.account,
        company=company,
        session=call.session,
        visitor_id=call.session.visitor_id,
        phone_number="+14045550142",
        page_url="https://alice-plumbing.example/contact",
        clicked_at=call.start_time - timedelta(minutes=1),
    )
    call.click_events.add(click)

    sign_in(manager_user)
    page.goto(live_url("dashboard:call-detail", call_id=call.public_id))
    panel = page.locator("#conversion")
    expect(panel.get_by_role("heading", name="Ad platforms")).to_be_visible()
    expect(panel.get_by_text("Counts as “Phone call”")).to_be_visible()
    expect(panel.locator('[data-platform="Google Ads"]')).to_contain_text("Uploaded")
    expect(panel.locator('[data-platform="GA4"]')).to_contain_text("Failed")
    expect(panel.locator('[data-platform="GA4"]')).to_contain_text("GA4 answered 500 five times.")
    expect(panel.get_by_text("(404) 555-0142")).to_be_visible()
    panel.scroll_into_view_if_needed()
    check_page("call-conversion")

    panel.get_by_role("link", name=f"Conversion settings of {company.name}").click()
    expect(page.get_by_role("heading", name="Which calls count")).to_be_visible()


def test_a_manager_sets_the_rule_and_a_reporting_user_reads_it(
    page, live_url, sign_in, check_page, context, manager_user, reporting_user, company, second_company
):
    Tag.objects.create(account=company.account, company=company, name="Sales")
    sign_in(manager_user)
    page.goto(live_url("dashboard:overview"))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Integrations").click()
    page.get_by_role("link", name="Call conversions").click()
    expect(page.get_by_role("heading", name="Call conversions by company")).to_be_visible()
    check_page("conversions-companies")
    page.get_by_role("link", name=f"Manage call conversions of {company.name}").click()

    page.get_by_label("Count calls as conversions").check()
    page.get_by_label("Minimum duration (seconds)").fill("90")
    page.get_by_label("First-time callers only").check()
    page.get_by_label("Sales").check()
    page.get_by_label("Conversion name").fill("Qualified call")
    page.get_by_label("A fixed value").check()
    page.get_by_label("Amount").fill("40")
    page.get_by_label("Currency").fill("eur")
    page.get_by_label("Measurement id").fill("G-XYZ9876")
    page.get_by_label("Measurement Protocol API secret").fill("ga4-secret-value")
    page.get_by_role("button", name="Save conversion settings").click()
    expect(page.get_by_text("three-letter ISO code")).to_be_visible()
    check_page("conversions-invalid")

    page.get_by_label("Currency").fill("EUR")
    page.get_by_label("Measurement Protocol API secret").fill("ga4-secret-value")
    page.get_by_role("button", name="Save conversion settings").click()
    expect(page.get_by_text(f"Call conversion settings of {company.name} are saved.")).to_be_visible()
    settings = ConversionSettings.objects.get(company=company)
    assert (settings.enabled, settings.min_duration, settings.tags, settings.value, settings.currency) == (
        True,
        90,
        ["Sales"],
        Decimal("40.00"),
        "EUR",
    )
    assert settings.ga4_api_secret == "ga4-secret-value"
    expect(page.get_by_label("Measurement Protocol API secret")).to_have_value("")
    feed = page.get_by_label("Feed URL")
    assert feed.input_value().endswith(f"/conversions/google-ads/{company.public_id}/{settings.feed_token}.csv")
    check_page("conversions-form")

    old = settings.feed_token
    page.get_by_role("link", name="Rotate the URL's token").click()
    check_page("conversions-rotate")
    page.get_by_role("button", name="Make a new URL").click()
    expect(page.get_by_text("The feed has a new URL.")).to_be_visible()
    settings.refresh_from_db()
    assert settings.feed_token != old and settings.feed_token in page.get_by_label("Feed URL").input_value()

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").first.click()
    assert download.value.suggested_filename == f"{company.public_id}-google-ads-conversions.csv"

    context.clear_cookies()
    sign_in(reporting_user)
    page.goto(live_url("dashboard:conversions"))
    expect(page.get_by_label("Minimum duration (seconds)")).to_be_disabled()
    expect(page.get_by_role("button", name="Save conversion settings")).to_have_count(0)
    expect(page.get_by_label("Feed URL")).to_have_count(0)
    check_page("conversions-read-only")


def test_an_admin_erases_a_person(page, live_url, sign_in, check_page, make_user, company):
    admin = make_user(User.Role.ADMIN, company, email="ada@example.com", first_name="Ada", last_name="Admin")
    call = full_call(company, customer_phone_number="+14045550199", customer_name="Pat Doe")
    sign_in(admin)
    page.goto(live_url("dashboard:account-settings"))
    page.get_by_role("link", name="Erase a person").click()
    expect(page.get_by_role("heading", name="Erase a person")).to_be_visible()
    check_page("privacy-empty")

    page.get_by_label("Phone number").fill("(404) 555-0199")
    page.get_by_role("button", name="Erase this person").click()
    expect(page.get_by_text("cannot be undone", exact=False).first).to_be_visible()
    check_page("privacy-unconfirmed")
    page.get_by_label("Phone number").fill("(404) 555-0199")
    page.get_by_label("I understand this cannot be undone").check()
    page.get_by_role("button", name="Erase this person").click()
    erasure = Erasure.objects.get()
    expect(page.get_by_text(f"Erasure {erasure.public_id} is under way.")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=erasure.public_id)
    expect(row).to_contain_text("Ada Admin")
    expect(row).to_contain_text("Phone number")

    erasure_run(erasure_id=erasure.pk)
    page.reload()
    expect(row).to_contain_text("Completed")
    expect(row).to_contain_text("2 calls, 1 recording,")
    assert Call.objects.get(pk=call.pk).customer_phone_number == ""
    check_page("privacy-completed")
