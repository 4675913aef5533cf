import pytest

from accounts.models import Tag, User
from api.tests.roles import assert_needs_a_key, assert_rate_limited, client_for, user_with_role
from tracking.tests.factories import CallFlowFactory

pytestmark = pytest.mark.django_db


def url(account, tag):
    return f"/v3/a/{account.public_id}/tags/{tag.numeric_id}.json"


@pytest.fixture
def tag(account, company):
    return Tag.objects.create(account=account, company=company, name="Sales")


def test_it_renames_and_recolors(api_client, account, tag):
    response = api_client.put(url(account, tag), {"name": "Existing Customer", "color": "red2"}, format="json")
    assert response.status_code == 200
    data = response.json()
    assert (data["name"], data["color"], data["background_color"]) == ("Existing Customer", "red2", "red2")


def flow_tagging(company, *names):
    return CallFlowFactory(
        company=company,
        definition={
            "type": "advanced",
            "initial_step_id": 1,
            "steps": [
                {"id": 1, "type": "tag", "tags": list(names), "next_step_id": 2},
                {"id": 2, "type": "dial", "destination_number": "+14045550101"},
            ],
        },
    )


def test_call_flows_follow_the_rename(api_client, account, company, tag):
    flow = flow_tagging(company, "Lead", "Sales")
    response = api_client.put(url(account, tag), {"name": "Existing Customer"}, format="json")
    assert response.status_code == 200
    flow.refresh_from_db()
    assert flow.definition["steps"][0]["tags"] == ["Lead", "Existing Customer"]


def test_call_flows_are_left_alone_when_the_name_stays(api_client, account, company, tag):
    flow = flow_tagging(company, "Sales")
    before = flow.updated_at
    response = api_client.put(url(account, tag), {"name": "Sales", "color": "red2"}, format="json")
    assert response.status_code == 200
    flow.refresh_from_db()
    assert flow.definition["steps"][0]["tags"] == ["Sales"]
    assert flow.updated_at == before


def test_call_flows_keep_the_name_when_the_rename_is_refused(api_client, account, company, tag):
    Tag.objects.create(account=account, company=company, name="Taken")
    flow = flow_tagging(company, "Sales")
    assert api_client.put(url(account, tag), {"name": "taken"}, format="json").status_code == 422
    flow.refresh_from_db()
    assert flow.definition["steps"][0]["tags"] == ["Sales"]


@pytest.mark.parametrize(("value", "status"), [(True, "disabled"), ("true", "disabled"), ("false", "enabled")])
def test_disabled_switches_the_status(api_client, account, tag, value, status):
    data = api_client.put(url(account, tag), {"disabled": value}, format="json").json()
    assert data["status"] == status


def test_bad_values_are_rejected(api_client, account, company, tag):
    assert api_client.put(url(account, tag), {"disabled": "sometimes"}, format="json").status_code == 400
    Tag.objects.create(account=account, company=company, name="Taken")
    response = api_client.put(url(account, tag), {"name": "Taken"}, format="json")
    assert response.status_code == 422
    tag.refresh_from_db()
    assert tag.name == "Sales"


def test_only_admins_edit_account_tags(account, company):
    shared = Tag.objects.create(account=account, company=None, name="All", tag_level="account")
    manager = client_for(user_with_role(account, User.Role.MANAGER, [company]))
    assert manager.put(url(account, shared), {"name": "Mine"}, format="json").status_code == 403


def test_it_hides_other_accounts_tags(api_client, account, other_company):
    tag = Tag.objects.create(account=other_company.account, company=other_company, name="Bob's")
    assert api_client.put(url(account, tag), {"name": "x"}, format="json").status_code == 404


def test_it_needs_a_key(account, tag):
    assert_needs_a_key("PUT", f"/v3/a/{account.public_id}/tags/{tag.numeric_id}.json")


def test_it_answers_429_past_the_limit(api_client, account, tag, settings):
    assert_rate_limited(
        api_client, "PUT", f"/v3/a/{account.public_id}/tags/{tag.numeric_id}.json", settings, body={"color": "red2"}
    )


def test_null_fields_stay_as_they_are(api_client, account, tag):
    # pycallrail's Tag.update sends name, color and disabled every time, unset ones as null.
    tag.color = "red2"
    tag.save()
    response = api_client.put(
        url(account, tag), {"name": "Existing Customer", "color": None, "disabled": None}, format="json"
    )
    assert response.status_code == 200, response.json()
    tag.refresh_from_db()
    assert (tag.name, tag.color, tag.status) == ("Existing Customer", "red2", Tag.Status.ENABLED)
    response = api_client.put(url(account, tag), {"name": None, "color": None, "disabled": True}, format="json")
    assert response.status_code == 200
    tag.refresh_from_db()
    assert (tag.name, tag.status) == ("Existing Customer", Tag.Status.DISABLED)
