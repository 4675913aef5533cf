"""``data_retention_days`` on the account (our extension): shown with ``fields=``, changed
by admins with ``PUT /v3/a/{id}.json``."""

import pytest

from accounts.models import User
from api.tests.roles import client_for, user_with_role
from api.tests.test_accounts import ACCOUNT_KEYS

pytestmark = pytest.mark.django_db


def url(account, query=""):
    return f"/v3/a/{account.public_id}.json" + (f"?{query}" if query else "")


def test_it_is_shown_on_request(api_client, account):
    assert set(api_client.get(url(account)).json()) == ACCOUNT_KEYS
    body = api_client.get(url(account, "fields=data_retention_days")).json()
    assert body["data_retention_days"] == 760
    listed = api_client.get("/v3/a.json?fields=data_retention_days").json()["accounts"][0]
    assert listed["data_retention_days"] == 760


@pytest.mark.parametrize("days", [0, 30, 3650])
def test_admins_change_it(api_client, account, days):
    response = api_client.put(url(account), {"data_retention_days": days}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["data_retention_days"] == days
    assert set(response.json()) == ACCOUNT_KEYS | {"data_retention_days"}
    account.refresh_from_db()
    assert account.data_retention_days == days


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "data_retention_days: Ensure this value is greater than or equal to 0."),
        (36501, "data_retention_days: Ensure this value is less than or equal to 36500."),
        ("a year", "data_retention_days: A valid integer is required."),
        (None, "data_retention_days: This field may not be null."),
    ],
)
def test_bad_values_are_explained(api_client, account, value, message):
    response = api_client.put(url(account), {"data_retention_days": value}, format="json")
    assert response.status_code == 400
    assert response.json() == {"error": message}
    account.refresh_from_db()
    assert account.data_retention_days == 760


def test_hipaa_mode_is_not_the_clients_to_change(api_client, account):
    response = api_client.put(url(account), {"hipaa_account": True}, format="json")
    assert response.status_code == 400
    assert "operator" in response.json()["error"]
    account.refresh_from_db()
    assert account.hipaa_account is False


def test_a_json_array_is_refused(api_client, account):
    response = api_client.put(url(account), [1], format="json")
    assert response.status_code == 400


def test_only_admins_of_the_account_may_change_it(account, company, other_api_client, other_account):
    for role in (User.Role.MANAGER, User.Role.REPORTING):
        client = client_for(user_with_role(account, role, [company]))
        assert client.put(url(account), {"data_retention_days": 1}, format="json").status_code == 403
    assert other_api_client.put(url(account), {"data_retention_days": 1}, format="json").status_code == 404
    account.refresh_from_db()
    assert account.data_retention_days == 760
