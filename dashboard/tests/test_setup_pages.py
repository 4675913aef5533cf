"""The set-up pages without a browser: every page answers for every role it should, the
walls hold (another account's tracker or flow is a 404, reporting users cannot change
anything), and each form goes through the services."""

import pytest
from django.urls import reverse

from telephony.callflows.services import call_flow_create
from telephony.models import Call
from telephony.trackers import tracker_create
from tracking.models import CallFlow, Tracker
from tracking.tests.factories import TrackerFactory, session_tracker

pytestmark = pytest.mark.django_db

MENU = {
    "type": "advanced",
    "initial_step_id": 1,
    "steps": [
        {
            "id": 1,
            "type": "menu",
            "name": "Main menu",
            "prompt_text": "Press 1 for sales, 2 for a message.",
            "menu_options": [{"key": "1", "next_step_id": 2}, {"key": "2", "next_step_id": 3}],
        },
        {"id": 2, "type": "dial", "name": "Sales", "destination_number": "+14045550101"},
        {"id": 3, "type": "voicemail", "name": "Voicemail"},
    ],
}


@pytest.fixture
def pool(company):
    return session_tracker(company=company, size=4, name="Website")


@pytest.fixture
def flow(company):
    return call_flow_create(company=company, name="Main line", definition=MENU)


def test_every_page_renders(client, manager_user, company, pool, flow):
    client.force_login(manager_user)
    q = f"?company={company.public_id}"
    for url in (
        reverse("dashboard:numbers") + q,
        reverse("dashboard:tracker-new") + q,
        reverse("dashboard:pool", args=[pool.public_id]) + q,
        reverse("dashboard:pool-live", args=[pool.public_id]) + q,
        reverse("dashboard:call-flows") + q,
        reverse("dashboard:call-flow-new") + q,
        reverse("dashboard:call-flow", args=[flow.uuid]) + q,
        reverse("dashboard:install") + q,
        reverse("dashboard:settings") + q,
    ):
        response = client.get(url)
        assert response.status_code == 200, url


def test_reporting_users_read_the_numbers_and_change_nothing(client, reporting_user, company, pool, flow):
    client.force_login(reporting_user)
    page = client.get(reverse("dashboard:numbers")).content.decode()
    assert "Website" in page and "New tracker" not in page and "Manage" not in page
    nav = page.split('aria-label="Main"')[1].split("</nav>")[0]
    assert "Numbers" in nav and "Call flows" not in nav and "Install" not in nav and "Settings" not in nav
    for name, args, data in (
        ("dashboard:tracker-disable", [pool.public_id], {}),
        ("dashboard:number-replace", [pool.public_id], {"number": pool.numbers.first().number}),
        ("dashboard:pool-resize", [pool.public_id], {"size": "5"}),
        ("dashboard:tracker-settings", [pool.public_id], {f"{pool.public_id}-session_timeout": "10"}),
        ("dashboard:settings", [], {"name": "Renamed"}),
        ("dashboard:call-flow", [flow.uuid], {"name": "Renamed", "steps": "0"}),
        ("dashboard:call-flow-test", [flow.uuid], {}),
        ("dashboard:tracker-new", [], {"kind": "session"}),
    ):
        response = client.post(reverse(name, args=args) + f"?company={company.public_id}", data)
        assert response.status_code == 403, name
    pool.refresh_from_db()
    assert pool.is_active and pool.numbers.filter(status="active").count() == 4


def test_another_account_s_trackers_and_flows_are_not_found(client, admin_user, other_company):
    theirs = session_tracker(company=other_company, size=4)
    their_flow = call_flow_create(company=other_company, name="Theirs", definition=MENU)
    client.force_login(admin_user)
    for name, args in (
        ("dashboard:pool", [theirs.public_id]),
        ("dashboard:pool-live", [theirs.public_id]),
        ("dashboard:call-flow", [their_flow.uuid]),
    ):
        assert client.get(reverse(name, args=args)).status_code == 404, name
    for name, args in (
        ("dashboard:tracker-disable", [theirs.public_id]),
        ("dashboard:pool-resize", [theirs.public_id]),
        ("dashboard:call-flow-delete", [their_flow.uuid]),
    ):
        assert client.post(reverse(name, args=args), {"size": "8"}).status_code == 404, name
    theirs.refresh_from_db()
    assert theirs.is_active and theirs.numbers.filter(status="active").count() == 4
    assert client.get(reverse("dashboard:install"), {"company": other_company.public_id}).status_code == 404


def test_with_several_companies_a_company_page_asks_which(client, manager_user, company, second_company):
    client.force_login(manager_user)
    for name in ("dashboard:install", "dashboard:settings", "dashboard:tracker-new", "dashboard:call-flow-new"):
        page = client.get(reverse(name)).content.decode()
        assert "Which company?" in page
        assert f"?company={company.public_id}" in page and f"?company={second_company.public_id}" in page


def test_disabling_a_tracker_releases_its_numbers(client, manager_user, company, pool):
    client.force_login(manager_user)
    response = client.post(
        reverse("dashboard:tracker-disable", args=[pool.public_id]) + f"?company={company.public_id}"
    )
    assert response.status_code == 302
    pool.refresh_from_db()
    assert pool.status == Tracker.Status.DISABLED
    assert not pool.numbers.filter(status="active").exists()
    page = client.get(response["Location"]).content.decode()
    assert "is disabled: its numbers went back to the carrier" in page
    assert "cannot be turned on again" in page


def test_the_form_submission_tracker_cannot_be_disabled(client, manager_user, company):
    tracker = TrackerFactory(company=company, form_submission_outbound=True)
    client.force_login(manager_user)
    response = client.post(reverse("dashboard:tracker-disable", args=[tracker.public_id]), follow=True)
    assert "You must select a different number for outbound Form Submission calls" in response.content.decode()
    tracker.refresh_from_db()
    assert tracker.is_active


def test_a_number_is_replaced_by_one_of_the_same_area_code(
    client, manager_user, company, django_capture_on_commit_callbacks
):
    client.force_login(manager_user)
    tracker = TrackerFactory(company=company, type="source", source={"type": "offline"}, pool_size=None)
    tracker.numbers.create(account=company.account, number="+14705550150")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("dashboard:number-replace", args=[tracker.public_id]), {"number": "+14705550150"}, follow=True
        )
    assert "A new number replaces +14705550150" in response.content.decode()
    (number,) = tracker.numbers.filter(status="active").values_list("number", flat=True)
    assert number.startswith("+1470") and number != "+14705550150"
    wrong = client.post(reverse("dashboard:number-replace", args=[tracker.public_id]), {"number": "x"}, follow=True)
    assert "is not a valid phone number" in wrong.content.decode()


def test_the_company_settings_are_saved_through_the_service_and_checked(client, manager_user, company):
    client.force_login(manager_user)
    url = reverse("dashboard:settings") + f"?company={company.public_id}"
    form = {
        "name": "Alice Plumbing & Heating",
        "time_zone": "America/Chicago",
        "form_capture": "on",
        "consent_required": "on",
        "allowed_origins": "https://WWW.alice.example/\nhttps://shop.alice.example",
        "swap_cookie_duration": "30",
        "swap_cookie_duration_unit": "days",
        "swap_landing_override": "",
    }
    response = client.post(url, form)
    assert response.status_code == 302
    company.refresh_from_db()
    assert (company.name, company.time_zone, company.consent_required, company.form_capture) == (
        "Alice Plumbing & Heating",
        "America/Chicago",
        True,
        True,
    )
    assert company.allowed_origins == ["https://www.alice.example", "https://shop.alice.example"]
    assert (company.swap_cookie_duration, company.swap_ppc_override, company.swap_landing_override) == (30, False, None)

    bad = client.post(url, {**form, "allowed_origins": "alice.example", "swap_cookie_duration_unit": "months"})
    page = bad.content.decode()
    assert bad.status_code == 200
    assert "is not an origin: start it with https:// or http://" in page
    assert "That is longer than six months: at most 183 days, 26 weeks or 6 months." in page
    company.refresh_from_db()
    assert company.allowed_origins == ["https://www.alice.example", "https://shop.alice.example"]


def test_a_tracker_s_settings_are_saved_through_the_tracker_service(client, manager_user, company, pool):
    client.force_login(manager_user)
    url = reverse("dashboard:tracker-settings", args=[pool.public_id]) + f"?company={company.public_id}"
    prefix = pool.public_id
    response = client.post(
        url,
        {
            f"{prefix}-session_timeout": "45",
            f"{prefix}-fallback_number": "(404) 555-0199",
            f"{prefix}-whisper_message": "Website call",
            f"{prefix}-recording": "",
        },
    )
    assert response.status_code == 302 and response["Location"].endswith(f"#tracker-{pool.public_id}")
    pool.refresh_from_db()
    assert (pool.session_timeout, pool.fallback_number, pool.whisper_message) == (2700, "+14045550199", "Website call")
    assert pool.call_flow.definition["recording_enabled"] is False

    own = pool.numbers.first().number
    bad = client.post(url, {f"{prefix}-session_timeout": "45", f"{prefix}-fallback_number": own})
    assert "Must not be one of the pool&#x27;s own numbers." in bad.content.decode()
    too_short = client.post(url, {f"{prefix}-session_timeout": "2", f"{prefix}-fallback_number": ""})
    assert "Ensure this value is greater than or equal to 5." in too_short.content.decode()
    pool.refresh_from_db()
    assert pool.fallback_number == "+14045550199"


def test_the_builder_adds_removes_and_checks_steps(client, manager_user, company, flow):
    client.force_login(manager_user)
    url = reverse("dashboard:call-flow", args=[flow.uuid]) + f"?company={company.public_id}"
    page = client.get(url).content.decode()
    assert 'name="s0-prompt_text"' in page and 'name="steps" value="3"' in page
    base = {
        "name": "Main line",
        "initial_step_id": "1",
        "steps": "3",
        "s0-id": "1",
        "s0-type": "menu",
        "s0-name": "Main menu",
        "s0-prompt_text": "Press 1 for sales, 2 for a message.",
        "s0-options": "2",
        "s0-o0-key": "1",
        "s0-o0-next": "2",
        "s0-o1-key": "2",
        "s0-o1-next": "3",
        "s1-id": "2",
        "s1-type": "dial",
        "s1-name": "Sales",
        "s1-destination_number": "(404) 555-0101",
        "s1-timeout": "30",
        "s2-id": "3",
        "s2-type": "voicemail",
        "s2-name": "Voicemail",
        "s2-max_length": "120",
    }
    added = client.post(url, {**base, "action": "add", "add_type": "schedule"}).content.decode()
    assert "Open hours 4" in added and "No step leads here yet" in added
    flow.refresh_from_db()
    assert len(flow.definition["steps"]) == 3  # adding does not save

    broken = client.post(url, {**base, "action": "save", "s1-destination_number": "nope", "s1-timeout": "2"})
    page = broken.content.decode()
    assert "The flow was not saved" in page and "Phone: &#x27;nope&#x27; is not a valid phone number." in page

    removed = client.post(url, {**base, "action": "save", "s2-remove": "1", "s1-timeout": "45"})
    assert removed.status_code == 302
    flow.refresh_from_db()
    steps = {step["id"]: step for step in flow.definition["steps"]}
    assert set(steps) == {1, 2} and steps[2]["timeout"] == 45
    assert steps[1]["menu_options"] == [{"key": "1", "description": "", "next_step_id": 2}]


def test_a_test_call_from_the_builder_writes_nothing(client, manager_user, company, flow):
    client.force_login(manager_user)
    url = reverse("dashboard:call-flow-test", args=[flow.uuid]) + f"?company={company.public_id}"
    page = client.post(
        url, {"caller": "(303) 555-0123", "digits": "1", "when": "2026-11-04T12:00", "outcome": "answered"}
    ).content.decode()
    assert "The caller presses 1" in page and "Connected: answered by (404) 555-0101" in page
    refused = client.post(url, {"caller": "x", "digits": "9a", "when": "", "outcome": "answered"}).content.decode()
    assert "Use the phone&#x27;s keys only" in refused and "The path taken" not in refused
    assert not Call.objects.exists()


def test_the_wizard_refuses_what_the_service_refuses(client, manager_user, company):
    client.force_login(manager_user)
    url = reverse("dashboard:tracker-new") + f"?company={company.public_id}"
    answers = {
        "kind": "source",
        "source_choice": "landing",
        "landing_text": "",
        "name": "",
        "search": "area_code",
        "area_code": "999",
        "flow_type": "basic",
        "destination": "",
        "recording": "True",
    }
    page = client.post(url, {**answers, "step": "source"}).content.decode()
    assert "Write a word or path of the landing page" in page and 'aria-current="step"' in page
    page = client.post(url, {**answers, "step": "numbers", "action": "search"}).content.decode()
    assert "&#x27;999&#x27; is not a valid area code." not in page  # 999 reads as an area code...
    assert "No number is for sale there right now" in page  # ...that nobody sells
    fixed = {**answers, "landing_text": "/spring", "name": "Spring sale"}
    page = client.post(url, {**fixed, "step": "summary", "action": "create"}).content.decode()
    assert "Write the phone that should ring" in page
    assert not Tracker.objects.exists()


def test_the_one_click_resize_buys_and_releases(client, manager_user, company, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        pool = tracker_create(
            account=company.account,
            company=company,
            data={
                "type": "session",
                "name": "Website",
                "pool_size": 4,
                "pool_numbers": {"area_code": "470"},
                "call_flow": {"type": "basic", "destination_number": "+14045550142"},
                "source": "all",
            },
        )
    client.force_login(manager_user)
    url = reverse("dashboard:pool-resize", args=[pool.public_id]) + f"?company={company.public_id}"
    with django_capture_on_commit_callbacks(execute=True):
        grown = client.post(url, {"size": "7"}, follow=True)
    assert "Bought 3 numbers: the pool now has 7." in grown.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        shrunk = client.post(url, {"size": "5"}, follow=True)
    assert "Released 2 numbers: the pool now has 5." in shrunk.content.decode()
    assert pool.numbers.filter(status="active").count() == 5
    refused = client.post(url, {"size": "60"}, follow=True)
    assert "Must be between 4 and 50." in refused.content.decode()


def test_a_flow_is_put_to_use_and_deleted_only_when_unused(client, manager_user, company, pool, flow):
    client.force_login(manager_user)
    q = f"?company={company.public_id}"
    used = client.post(
        reverse("dashboard:call-flow-use", args=[flow.uuid]) + q, {"tracker": pool.public_id}, follow=True
    )
    assert "now go through “Main line”" in used.content.decode()
    pool.refresh_from_db()
    assert pool.call_flow_id == flow.pk
    kept = client.post(reverse("dashboard:call-flow-delete", args=[flow.uuid]) + q, follow=True)
    assert "give the tracker another flow first" in kept.content.decode()
    unused = call_flow_create(company=company, name="Spare", definition=MENU)
    gone = client.post(reverse("dashboard:call-flow-delete", args=[unused.uuid]) + q, follow=True)
    assert "“Spare” is deleted." in gone.content.decode()
    assert not CallFlow.objects.filter(pk=unused.pk).exists()


def test_a_new_flow_starts_from_a_template_that_already_works(client, manager_user, company):
    client.force_login(manager_user)
    url = reverse("dashboard:call-flow-new") + f"?company={company.public_id}"
    response = client.post(url, {"name": "After hours", "template": "hours", "phone": "(404) 555-0101"})
    assert response.status_code == 302
    flow = CallFlow.objects.get(name="After hours")
    assert [step["type"] for step in flow.definition["steps"]] == ["schedule", "dial", "voicemail"]
    refused = client.post(url, {"name": "", "template": "menu", "phone": "call me"}).content.decode()
    assert "This field is required." in refused and "is not a valid phone number" in refused
