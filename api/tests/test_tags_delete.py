import pytest

from accounts.models import Tag, User
from api.tests.roles import assert_needs_a_key, assert_rate_limited, client_for, user_with_role
from tracking.tests.factories import CallFlowFactory

pytestmark = pytest.mark.django_db


def url(account, tag):
    return f"/v3/a/{account.public_id}/tags/{tag.numeric_id}.json"


def test_it_deletes_a_tag(api_client, account, company):
    tag = Tag.objects.create(account=account, company=company, name="Sales")
    response = api_client.delete(url(account, tag))
    assert response.status_code == 204
    assert not Tag.objects.filter(pk=tag.pk).exists()


def test_call_flows_stop_applying_the_deleted_tag(api_client, account, company):
    tag = Tag.objects.create(account=account, company=company, name="Sales")
    definition = {
        "type": "advanced",
        "initial_step_id": 1,
        "steps": [
            {"id": 1, "type": "tag", "tags": ["Sales", "Lead"], "next_step_id": 2},
            {"id": 2, "type": "tag", "tags": ["Sales"], "next_step_id": 3},
            {"id": 3, "type": "dial", "destination_number": "+14045550101"},
        ],
    }
    flow = CallFlowFactory(company=company, definition=definition)
    response = api_client.delete(url(account, tag))
    assert response.status_code == 204
    assert response.content == b""
    flow.refresh_from_db()
    assert flow.definition["steps"] == [
        {"id": 1, "type": "tag", "tags": ["Lead"], "next_step_id": 3},
        {"id": 3, "type": "dial", "destination_number": "+14045550101"},
    ]


def test_a_flow_keeps_the_tag_when_the_deletion_is_refused(account, company):
    tag = Tag.objects.create(account=account, company=company, name="Sales")
    definition = {
        "type": "advanced",
        "initial_step_id": 1,
        "steps": [
            {"id": 1, "type": "tag", "tags": ["Sales"], "next_step_id": 2},
            {"id": 2, "type": "dial", "destination_number": "+14045550101"},
        ],
    }
    flow = CallFlowFactory(company=company, definition=definition)
    reporting = client_for(user_with_role(account, User.Role.REPORTING, [company]))
    assert reporting.delete(url(account, tag)).status_code == 403
    flow.refresh_from_db()
    assert flow.definition == definition


def test_reporting_users_cannot_delete(account, company):
    tag = Tag.objects.create(account=account, company=company, name="Sales")
    reporting = client_for(user_with_role(account, User.Role.REPORTING, [company]))
    response = reporting.delete(url(account, tag))
    assert response.status_code == 403
    assert response.json() == {"error": "You do not have permission to perform the requested action"}
    assert Tag.objects.filter(pk=tag.pk).exists()


def test_it_hides_other_accounts_tags(api_client, account, other_company):
    tag = Tag.objects.create(account=other_company.account, company=other_company, name="Bob's")
    assert api_client.delete(url(account, tag)).status_code == 404
    assert Tag.objects.filter(pk=tag.pk).exists()


def test_it_needs_a_key(account, company):
    tag = Tag.objects.create(account=account, company=company, name="Limited")
    assert_needs_a_key("DELETE", f"/v3/a/{account.public_id}/tags/{tag.numeric_id}.json")


def test_it_answers_429_past_the_limit(api_client, account, company, settings):
    tag = Tag.objects.create(account=account, company=company, name="Limited")
    assert_rate_limited(api_client, "DELETE", f"/v3/a/{account.public_id}/tags/{tag.numeric_id}.json", settings)
