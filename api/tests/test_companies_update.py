import pytest

from accounts.models import Company, User
from api.tests.roles import assert_needs_a_key, assert_rate_limited, client_for, user_with_role
from api.tests.test_companies_list import COMPANY_KEYS

pytestmark = pytest.mark.django_db


def url(account, company):
    return f"/v3/a/{account.public_id}/companies/{company.public_id}.json"


def test_it_updates_settings_as_in_the_reference_example(api_client, account, company):
    body = {
        "swap_ppc_override": "true",
        "swap_landing_override": "utm_source",
        "callscribe_enabled": True,
        "external_form_capture": True,
    }
    response = api_client.put(url(account, company), body, format="json")
    assert response.status_code == 200
    data = response.json()
    assert set(data) == COMPANY_KEYS
    assert data["swap_ppc_override"] is True
    assert data["swap_landing_override"] == "utm_source"
    assert data["callscribe_enabled"] is True
    assert data["form_capture"] is True
    company.refresh_from_db()
    assert company.form_capture is True


def test_omitted_keys_stay_and_null_disables_the_landing_override(api_client, account, company):
    company.swap_landing_override = "promo"
    company.save()
    data = api_client.put(url(account, company), {"swap_landing_override": None}, format="json").json()
    assert data["swap_landing_override"] is None
    assert data["name"] == company.name


def test_it_renames_and_changes_time_zone(api_client, account, company):
    data = api_client.put(url(account, company), {"name": "New", "time_zone": "America/Denver"}, format="json").json()
    assert (data["name"], data["time_zone"]) == ("New", "America/Denver")


def test_cookie_duration_is_capped_at_six_months(api_client, account, company):
    ok = api_client.put(
        url(account, company), {"swap_cookie_duration": 30, "swap_cookie_duration_unit": "days"}, format="json"
    )
    assert ok.status_code == 200
    assert ok.json()["swap_cookie_duration"] == 30
    response = api_client.put(url(account, company), {"swap_cookie_duration": 7}, format="json")
    assert response.status_code == 200  # 7 days is fine now that the unit is days
    response = api_client.put(
        url(account, company), {"swap_cookie_duration": 7, "swap_cookie_duration_unit": "months"}, format="json"
    )
    assert response.status_code == 400
    assert "swap_cookie_duration" in response.json()["error"]
    company.refresh_from_db()
    assert company.swap_cookie_duration_unit == "days"


def test_bad_values_are_400s(api_client, account, company):
    for body in ({"callscore_enabled": "maybe"}, {"swap_cookie_duration_unit": "years"}, {"name": ""}):
        response = api_client.put(url(account, company), body, format="json")
        assert response.status_code == 400, body
        assert "error" in response.json()


def test_managers_update_their_companies_and_reporting_users_cannot(account, company):
    manager = client_for(user_with_role(account, User.Role.MANAGER, [company]))
    assert manager.put(url(account, company), {"name": "Mgr"}, format="json").status_code == 200
    other = Company.objects.create(account=account, name="Other")
    assert manager.put(url(account, other), {"name": "Mgr"}, format="json").status_code == 404
    reporting = client_for(user_with_role(account, User.Role.REPORTING, [company]))
    assert reporting.put(url(account, company), {"name": "Rep"}, format="json").status_code == 403


def test_it_hides_other_accounts_companies(api_client, account, other_company):
    assert api_client.put(url(account, other_company), {"name": "x"}, format="json").status_code == 404
    other_company.refresh_from_db()
    assert other_company.name == "Bob Roofing"


def test_it_needs_a_key(account, company):
    assert_needs_a_key("PUT", f"/v3/a/{account.public_id}/companies/{company.public_id}.json")


def test_it_answers_429_past_the_limit(api_client, account, company, settings):
    assert_rate_limited(
        api_client,
        "PUT",
        f"/v3/a/{account.public_id}/companies/{company.public_id}.json",
        settings,
        body={"name": "Limited"},
    )
