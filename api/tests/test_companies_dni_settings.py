"""A company's DNI settings beyond the reference (our extension fields ``consent_required``
and ``allowed_origins``): read with ``fields=``, written with the company update, refused in
the API's error format, and followed by the DNI endpoint at once."""

import json

import pytest

from accounts.models import User
from api.tests.roles import client_for, user_with_role
from api.tests.test_companies_list import COMPANY_KEYS
from api.v3.schema import V3SchemaGenerator
from tracking.tests.factories import session_tracker

pytestmark = pytest.mark.django_db

FIELDS = "?fields=consent_required,allowed_origins"


def url(account, company):
    return f"/v3/a/{account.public_id}/companies/{company.public_id}.json"


def test_it_reads_them_on_request(api_client, account, company):
    company.consent_required = True
    company.allowed_origins = ["https://www.example.com"]
    company.save()
    plain = api_client.get(url(account, company)).json()
    assert set(plain) == COMPANY_KEYS

    body = api_client.get(url(account, company) + FIELDS).json()
    assert set(body) == COMPANY_KEYS | {"consent_required", "allowed_origins"}
    assert body["consent_required"] is True
    assert body["allowed_origins"] == ["https://www.example.com"]
    listed = api_client.get(f"/v3/a/{account.public_id}/companies.json{FIELDS}").json()["companies"]
    assert listed[0]["allowed_origins"] == ["https://www.example.com"]


def test_it_writes_them_normalised(api_client, account, company):
    response = api_client.put(
        url(account, company) + FIELDS,
        {
            "consent_required": "true",
            "allowed_origins": [
                "HTTPS://WWW.Example.com/",
                "https://shop.example.com:443",
                "http://localhost:8000",
                "",
            ],
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["consent_required"] is True
    assert body["allowed_origins"] == ["https://www.example.com", "https://shop.example.com", "http://localhost:8000"]
    company.refresh_from_db()
    assert company.consent_required is True
    assert company.allowed_origins == body["allowed_origins"]


def test_an_empty_list_allows_any_site_again_and_omitted_keys_stay(api_client, account, company):
    company.allowed_origins = ["https://www.example.com"]
    company.consent_required = True
    company.save()
    body = api_client.put(url(account, company) + FIELDS, {"allowed_origins": []}, format="json").json()
    assert body["allowed_origins"] == []
    assert body["consent_required"] is True


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"consent_required": "maybe"}, "consent_required: Must be a valid boolean."),
        (
            {"allowed_origins": "https://www.example.com"},
            'allowed_origins: Expected a list of items but got type "str".',
        ),
        (
            {"allowed_origins": ["www.example.com"]},
            "allowed_origins: 'www.example.com' is not an origin: start it with https:// or http:// "
            "(as in https://www.example.com).",
        ),
        (
            {"allowed_origins": ["https://www.example.com/contact"]},
            "allowed_origins: 'https://www.example.com/contact' is not an origin: leave out any path or query "
            "(as in https://www.example.com).",
        ),
        (
            {"allowed_origins": ["ftp://files.example.com"]},
            "allowed_origins: 'ftp://files.example.com' is not an origin: start it with https:// or http:// "
            "(as in https://www.example.com).",
        ),
        (
            {"allowed_origins": ["https://example.com:99999"]},
            "allowed_origins: 'https://example.com:99999' is not an origin (write it as https://www.example.com).",
        ),
        (
            {"allowed_origins": [f"https://site{n}.example.com" for n in range(51)]},
            "allowed_origins: at most 50 origins.",
        ),
    ],
)
def test_bad_values_are_400s_in_the_api_s_format(api_client, account, company, change, message):
    response = api_client.put(url(account, company), change, format="json")
    assert response.status_code == 400
    assert response.json() == {"error": message}
    company.refresh_from_db()
    assert (company.consent_required, company.allowed_origins) == (False, [])


def test_reporting_users_cannot_change_them_and_other_accounts_are_out_of_reach(
    account, company, other_company, api_client
):
    reporting = client_for(user_with_role(account, User.Role.REPORTING, [company]))
    assert reporting.put(url(account, company), {"consent_required": True}, format="json").status_code == 403
    assert api_client.put(url(account, other_company), {"consent_required": True}, format="json").status_code == 404
    other_company.refresh_from_db()
    assert other_company.consent_required is False


def test_the_dni_endpoint_follows_the_allowed_origins_at_once(api_client, account, company, client):
    session_tracker(company=company)
    body = json.dumps({"v": "visitor-0001", "s": "session-0001", "u": "https://www.example.com/"})

    def visit(origin: str) -> int:
        return client.post(
            f"/dni/{company.public_id}/session",
            body,
            content_type="text/plain",
            HTTP_ORIGIN=origin,
            HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0",
        ).status_code

    assert visit("https://elsewhere.example.org") == 200
    api_client.put(url(account, company), {"allowed_origins": ["https://www.example.com"]}, format="json")
    assert visit("https://elsewhere.example.org") == 403
    assert visit("https://www.example.com") == 200


def test_the_openapi_description_documents_them():
    document = V3SchemaGenerator().get_schema(request=None, public=True)
    schemas = document["components"]["schemas"]
    company = schemas["Company"]
    assert company["properties"]["consent_required"]["type"] == "boolean"
    assert company["properties"]["allowed_origins"]["type"] == "array"
    assert "consent_required" not in company.get("required", [])
    update = schemas["CompanyUpdateInputRequest"]["properties"]
    assert update["consent_required"]["type"] == "boolean"
    assert update["allowed_origins"]["items"]["type"] == "string"
    assert "empty list allows any site" in update["allowed_origins"]["description"]
