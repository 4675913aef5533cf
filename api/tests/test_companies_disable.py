import pytest

from accounts.models import Company, User
from api.tests.roles import assert_needs_a_key, assert_rate_limited, client_for, user_with_role

pytestmark = pytest.mark.django_db


def url(account, company):
    return f"/v3/a/{account.public_id}/companies/{company.public_id}.json"


def test_it_disables_a_company(api_client, account, company):
    second = Company.objects.create(account=account, name="Second")
    response = api_client.delete(url(account, second))
    assert response.status_code == 204
    assert response.content == b""
    second.refresh_from_db()
    assert second.status == "disabled"
    assert second.disabled_at is not None
    shown = api_client.get(url(account, second)).json()
    assert shown["status"] == "disabled"
    assert shown["disabled_at"].endswith("Z")


def test_the_last_active_company_cannot_be_disabled(api_client, account, company):
    Company.objects.create(account=account, name="Already off", status="disabled")
    response = api_client.delete(url(account, company))
    assert response.status_code == 400
    assert response.json() == {"error": "You must have at least one active company."}
    company.refresh_from_db()
    assert company.status == "active"


def test_disabling_twice_is_harmless(api_client, account, company):
    second = Company.objects.create(account=account, name="Second")
    assert api_client.delete(url(account, second)).status_code == 204
    assert api_client.delete(url(account, second)).status_code == 204


def test_only_admins_disable_companies(account, company):
    second = Company.objects.create(account=account, name="Second")
    manager = client_for(user_with_role(account, User.Role.MANAGER, [company, second]))
    assert manager.delete(url(account, second)).status_code == 403


def test_it_hides_other_accounts_companies(api_client, account, company, other_company):
    Company.objects.create(account=other_company.account, name="Bob Two")
    assert api_client.delete(url(account, other_company)).status_code == 404
    other_company.refresh_from_db()
    assert other_company.status == "active"


def test_its_trackers_and_numbers_are_disabled(api_client, account, company):
    from api.tests.factories import TrackerFactory, TrackingNumberFactory

    second = Company.objects.create(account=account, name="Second")
    tracker = TrackerFactory(company=second, form_submission_outbound=True)
    number = TrackingNumberFactory(tracker=tracker)
    kept = TrackerFactory(company=company)
    assert api_client.delete(url(account, second)).status_code == 204
    tracker.refresh_from_db()
    number.refresh_from_db()
    kept.refresh_from_db()
    assert tracker.status == "disabled"
    assert number.status == "released"
    assert kept.status == "active"


def test_it_needs_a_key(account, company):
    assert_needs_a_key("DELETE", f"/v3/a/{account.public_id}/companies/{company.public_id}.json")


def test_it_answers_429_past_the_limit(api_client, account, company, settings):
    assert_rate_limited(api_client, "DELETE", f"/v3/a/{account.public_id}/companies/{company.public_id}.json", settings)
