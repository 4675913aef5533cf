import pytest

from accounts.models import ApiKey
from accounts.services import api_key_revoke

pytestmark = pytest.mark.django_db

ACCOUNT_KEYS = {"id", "name", "outbound_recording_enabled", "hipaa_account"}


def test_it_lists_the_keys_account(api_client, account):
    response = api_client.get("/v3/a.json")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"page", "per_page", "total_pages", "total_records", "accounts"}
    assert body["total_records"] == 1
    assert body["accounts"][0]["id"] == account.public_id
    assert set(body["accounts"][0]) == ACCOUNT_KEYS


def test_it_adds_numeric_id_on_request(api_client, account):
    body = api_client.get("/v3/a.json?fields=numeric_id").json()
    assert body["accounts"][0]["numeric_id"] == account.numeric_id


def test_it_shows_one_account_by_public_or_numeric_id(api_client, account):
    for identifier in (account.public_id, account.numeric_id):
        response = api_client.get(f"/v3/a/{identifier}.json")
        assert response.status_code == 200
        assert response.json()["id"] == account.public_id


def test_it_accepts_unquoted_tokens(admin_user, make_api_client):
    client = make_api_client(admin_user, quoted=False)
    assert client.get("/v3/a.json").status_code == 200


def test_it_hides_other_accounts(api_client, other_account):
    response = api_client.get(f"/v3/a/{other_account.public_id}.json")
    assert response.status_code == 404
    assert response.json() == {"error": "Not found"}
    assert api_client.get(f"/v3/a/{other_account.numeric_id}.json").status_code == 404


def test_it_needs_a_key(client, account):
    response = client.get("/v3/a.json")
    assert response.status_code == 401
    assert "error" in response.json()


def test_it_refuses_a_wrong_key(client, account):
    response = client.get("/v3/a.json", HTTP_AUTHORIZATION='Token token="nope"')
    assert response.status_code == 401
    assert response.json() == {"error": "HTTP Token: Access denied."}


def test_it_refuses_a_revoked_key(api_client, admin_user):
    api_key_revoke(key=ApiKey.objects.get(user=admin_user))
    assert api_client.get("/v3/a.json").status_code == 401


def test_it_records_when_a_key_was_used(api_client, admin_user):
    api_client.get("/v3/a.json")
    assert ApiKey.objects.get(user=admin_user).last_used_at is not None


def test_it_only_serves_json_paths(api_client, account):
    assert api_client.get(f"/v3/a/{account.public_id}").status_code == 404
    assert api_client.get(f"/v3/a/{account.public_id}.xml").status_code == 404


def test_it_filters_by_hipaa_and_rejects_bad_sorts(api_client, account):
    assert api_client.get("/v3/a.json?hipaa_account=true").json()["total_records"] == 0
    assert api_client.get("/v3/a.json?hipaa_account=false").json()["total_records"] == 1
    response = api_client.get("/v3/a.json?sort=bogus")
    assert response.status_code == 400
    assert "error" in response.json()
