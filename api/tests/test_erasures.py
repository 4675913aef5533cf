"""``POST /v3/a/{account_id}/erasures.json`` and ``GET …/erasures/{id}.json`` (our extension):
admins ask for a person to be erased and follow the erasure's status."""

from unittest import mock

import pytest

from accounts.models import User
from api.tests.factories import CallFactory, PersonFactory
from api.tests.roles import client_for, user_with_role
from privacy.erasure import erasure_run
from privacy.models import Erasure
from telephony.models import Call

pytestmark = pytest.mark.django_db

KEYS = {
    "id",
    "status",
    "by_phone_number",
    "by_email",
    "requested_by",
    "requested_via",
    "created_at",
    "started_at",
    "completed_at",
    "counts",
    "error",
}


def url(account, tail=""):
    return f"/v3/a/{account.public_id}/erasures{tail}.json"


@pytest.fixture
def caller(company):
    person = PersonFactory(company=company, phone_number="+13035550142", email="ann@example.com")
    return CallFactory(company=company, person=person, customer_phone_number=person.phone_number)


def test_it_accepts_a_request_and_a_worker_erases(
    api_client, account, admin_user, caller, django_capture_on_commit_callbacks
):
    with (
        mock.patch("privacy.tasks.erasure_run.apply_async") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = api_client.post(url(account), {"phone_number": "(303) 555-0142"}, format="json")
    assert response.status_code == 202, response.content
    body = response.json()
    assert set(body) == KEYS
    assert body["id"].startswith("ERS")
    assert body["status"] == "pending"
    assert (body["requested_by"], body["requested_via"], body["by_phone_number"]) == (admin_user.public_id, "api", True)
    erasure = Erasure.objects.get(public_id=body["id"])
    delay.assert_called_once_with((erasure.pk,), retry=False)

    erasure_run(erasure_id=erasure.pk)  # what the worker does

    shown = api_client.get(url(account, f"/{body['id']}")).json()
    assert shown["status"] == "completed"
    assert shown["counts"]["calls"] == 1
    assert "+13035550142" not in str(shown)
    assert Call.objects.get(pk=caller.pk).customer_phone_number == ""
    listed = api_client.get(url(account)).json()
    assert [item["id"] for item in listed["erasures"]] == [body["id"]]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({}, "phone_number or email is required."),
        ({"phone_number": "", "email": ""}, "phone_number or email is required."),
        ({"email": "nobody-at-example.com"}, "email is not a valid email address."),
        ({"phone_number": "call me maybe"}, "is not a valid phone number"),
        ({"phone_number": ["+13035550142"]}, "phone_number: Not a valid string."),
    ],
)
def test_it_explains_bad_requests(api_client, account, payload, message):
    with mock.patch("privacy.tasks.erasure_run.apply_async"):
        response = api_client.post(url(account), payload, format="json")
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not Erasure.objects.exists()


def test_only_admins_may_erase_or_read_erasures(account, company):
    for role in (User.Role.MANAGER, User.Role.REPORTING):
        client = client_for(user_with_role(account, role, [company]))
        assert client.post(url(account), {"email": "ann@example.com"}, format="json").status_code == 403
        assert client.get(url(account)).status_code == 403
    assert not Erasure.objects.exists()


def test_other_accounts_erasures_are_invisible(api_client, other_api_client, account, other_account):
    with mock.patch("privacy.tasks.erasure_run.apply_async"):
        mine = api_client.post(url(account), {"email": "ann@example.com"}, format="json").json()
    assert other_api_client.get(url(other_account, f"/{mine['id']}")).status_code == 404
    assert other_api_client.get(url(other_account)).json()["erasures"] == []
    assert other_api_client.post(url(account), {"email": "x@example.com"}, format="json").status_code == 404
    assert api_client.get(url(account, "/123456789")).status_code == 404


def test_a_broker_that_is_down_does_not_lose_the_request(api_client, account, django_capture_on_commit_callbacks):
    with (
        mock.patch("privacy.tasks.erasure_run.apply_async", side_effect=OSError("broker down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = api_client.post(url(account), {"email": "ann@example.com"}, format="json")
    assert response.status_code == 202
    # Still pending: the beat's sweeper starts it (privacy/tests/test_erasure.py).
    assert Erasure.objects.get().status == "pending"
