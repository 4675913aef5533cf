"""Webhooks set up in a real browser: a signed test event reaches a receiver on this machine,
a failed delivery shows in the log with the receiver's answer, Redeliver sends it again with
the same event id, a switched-off integration says why and comes back on; the audit log
names who did each."""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from accounts.models import Company, User
from callrail.celery import app as celery_app
from dashboard.tests.conftest import PHONE
from integrations.models import Integration
from integrations.tests.conftest import Answer, Receiver, deliver_due
from integrations.webhooks.outbox import webhook_test_event_send
from integrations.webhooks.signing import signature_valid

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# A receiver's final "no" (not retried).
REFUSAL = Answer(status=410, body=b"gone for good")


@pytest.fixture
def eager() -> Iterator[None]:
    """Deliveries run at once, after the request that enqueued them (no worker in tests)."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    """A webhook receiver on 127.0.0.1 (a private address, allowed for this test)."""
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def admin(make_user: Any) -> User:
    return make_user(User.Role.ADMIN, email="ada@example.com", first_name="Ada", last_name="Admin")


def open_webhooks(page: Any, live_url: Any, company: Company) -> None:
    page.goto(live_url("dashboard:overview"))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Integrations").click()
    page.get_by_role("link", name=f"Set up webhooks of {company.name}").or_(
        page.get_by_role("link", name=f"Manage webhooks of {company.name}")
    ).click()
    expect(page.get_by_role("heading", name="Webhook URLs")).to_be_visible()


def send_test(page: Any, event: str) -> None:
    page.get_by_label("Event").select_option(label=event)
    page.get_by_role("button", name="Send test event").click()
    expect(page.get_by_role("heading", name="Delivery log", level=1)).to_be_visible()


def test_a_signed_test_event_a_failure_and_its_redelivery(
    page, live_url, sign_in, check_page, eager, receiver, admin, company, second_company
):
    sign_in(admin)
    page.goto(live_url("dashboard:overview"))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Integrations").click()
    check_page("integrations-companies")
    open_webhooks(page, live_url, company)

    # A private address is refused, as the API and delivery refuse it, unless allowed.
    page.get_by_label("Post-call", exact=True).fill("http://localhost/hook\nnot a url")
    page.get_by_role("button", name="Save webhook URLs").click()
    expect(page.get_by_text("must be an http or https URL")).to_be_visible()
    check_page("integrations-invalid")
    page.get_by_label("Post-call", exact=True).fill(receiver.url("/post-call"))
    page.get_by_label("Form submitted", exact=True).fill(receiver.url("/forms"))
    page.get_by_role("button", name="Save webhook URLs").click()
    expect(page.get_by_role("status")).to_contain_text("Webhook URLs for Alice Plumbing are saved.")
    expect(page.get_by_label("Post-call", exact=True)).to_have_value(receiver.url("/post-call"))

    # The signing key, revealed on request, verifies the test event's signature.
    page.get_by_role("button", name="Reveal signing key").click()
    key = page.get_by_label("Signing key").input_value()
    check_page("integrations")
    send_test(page, "Post-call")
    (request,) = receiver.requests
    assert request.path == "/post-call"
    assert request.headers["X-Webhook-Test"] == "true"
    assert signature_valid(key=key, body=request.body, candidate=request.headers["Signature"])
    row = page.get_by_role("row", name=re.compile("Post-call"))
    expect(row).to_contain_text("Delivered")
    expect(row).to_contain_text("HTTP 200")

    # A receiver that refuses: the log shows the failure and its answer.
    receiver.answer(REFUSAL)
    page.get_by_role("link", name="Webhook settings").click()
    send_test(page, "Form submitted")
    failed = page.get_by_role("row", name=re.compile("Form submitted"))
    expect(failed).to_contain_text("Failed")
    expect(failed).to_contain_text("HTTP 410")
    check_page("webhook-deliveries")
    failed.get_by_role("link", name="Form submitted").click()
    expect(page.get_by_role("heading", name="Form submitted event", level=1)).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("gone for good")
    first_id = receiver.requests[1].headers["X-Webhook-Id"]
    expect(page.get_by_text(first_id).first).to_be_visible()
    expect(page.get_by_label("Payload JSON")).to_contain_text('"form_url": "https://www.example.com/contact"')
    check_page("webhook-delivery-failed")

    page.get_by_role("button", name="Redeliver").click()
    expect(page.get_by_role("status")).to_contain_text("Sent again, with the same event id.")
    assert [r.headers["X-Webhook-Id"] for r in receiver.requests[1:]] == [first_id, first_id]
    attempts = page.get_by_role("table")
    expect(attempts.get_by_role("row")).to_have_count(3)
    expect(attempts.get_by_role("row").nth(2)).to_contain_text("HTTP 200")
    check_page("webhook-delivery")

    # Who did what, in the audit log.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log").click()
    log = page.get_by_role("table")
    for what in (
        "Set up an integration",
        "Viewed a webhook signing key",
        "Sent a test webhook",
        "Redelivered a webhook",
    ):
        expect(log.get_by_role("row").filter(has_text=what).filter(has_text="Ada Admin").first).to_be_visible()

    page.set_viewport_size(PHONE)
    for name in ("integrations", "webhook-deliveries"):
        page.goto(live_url(f"dashboard:{name}", f"?company={company.public_id}"))
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
        check_page(f"{name}-phone")


def test_a_switched_off_integration_says_why_and_comes_back_on(
    page, live_url, sign_in, check_page, settings, eager, receiver, manager_user, company
):
    settings.WEBHOOKS_DISABLE_AFTER = 1
    Integration.objects.create(
        account=company.account,
        company=company,
        type=Integration.Type.WEBHOOKS,
        config={"pre_call_webhook": [receiver.url("/pre")]},
    )
    receiver.answer(REFUSAL)
    sign_in(manager_user)
    open_webhooks(page, live_url, company)
    # Managers configure webhooks but never see the signing key.
    expect(page.get_by_role("button", name="Reveal signing key")).to_have_count(0)
    send_test(page, "Pre-call")
    page.get_by_role("link", name="Webhook settings").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("were switched off")
    expect(alert).to_contain_text(receiver.url("/pre"))
    expect(alert).to_contain_text("HTTP 410")
    check_page("integrations-failed")
    page.get_by_role("button", name="Turn webhooks back on").click()
    expect(page.get_by_role("status")).to_contain_text("Webhooks for Alice Plumbing are on.")
    assert Integration.objects.get(company=company).state == Integration.State.ACTIVE
    send_test(page, "Pre-call")
    check_page("webhook-deliveries-manager")
    expect(page.get_by_role("row", name=re.compile("Pre-call")).first).to_contain_text("Delivered")


def test_the_log_follows_an_event_still_on_its_way(page, live_url, sign_in, check_page, receiver, admin, company):
    Integration.objects.create(
        account=company.account,
        company=company,
        type=Integration.Type.WEBHOOKS,
        config={"sms_received_webhook": [receiver.url("/sms")]},
    )
    webhook_test_event_send(company=company, event="text_message_received")  # no worker: it waits
    sign_in(admin)
    page.goto(live_url("dashboard:webhook-deliveries"))
    row = page.get_by_role("row", name=re.compile("Text message received"))
    expect(row).to_contain_text("Queued")
    check_page("webhook-deliveries-queued")
    deliver_due()  # what the worker does
    expect(row).to_contain_text("Delivered", timeout=8000)  # without reloading the page
