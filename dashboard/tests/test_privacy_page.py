"""The account's privacy page without a browser: admins request an erasure through the erasure
service (audited, run by a worker), and read the log of erasures; nobody else reaches it."""

import pytest
from django.urls import reverse

from accounts.models import AuditEvent, User
from api.tests.factories import CallFactory
from privacy.erasure import erasure_request, erasure_run
from privacy.models import Erasure
from telephony.models import Call

pytestmark = pytest.mark.django_db

URL = "/privacy/"


def test_the_url():
    assert reverse("dashboard:privacy") == URL


@pytest.mark.parametrize("role", [User.Role.MANAGER, User.Role.REPORTING])
def test_only_admins_reach_it(client, make_user, company, role):
    client.force_login(make_user(role, company, email=f"{role}-privacy@example.com"))
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"phone_number": "+14045550199", "confirm": "on"}).status_code == 403
    assert not Erasure.objects.exists()


def test_an_admin_erases_a_person(client, admin_user, company, django_capture_on_commit_callbacks):
    call = CallFactory(company=company, customer_phone_number="+14045550199", customer_name="Pat Doe")
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(URL, {"phone_number": "(404) 555-0199", "email": "", "confirm": "on"})
    assert response.status_code == 302
    erasure = Erasure.objects.get()
    assert (erasure.account, erasure.requested_by, erasure.requested_via) == (
        admin_user.account,
        admin_user,
        Erasure.Via.DASHBOARD,
    )
    assert erasure.phone_number == "+14045550199" and erasure.by_phone_number and not erasure.by_email
    entry = AuditEvent.objects.get(action="erasure.requested")
    assert entry.actor == admin_user and entry.object_id == erasure.public_id
    assert "5550199" not in str(entry.changes)

    body = client.get(URL).content.decode()
    assert erasure.public_id in body and "Pending" in body and "Phone number" in body

    erasure_run(erasure_id=erasure.pk)
    call.refresh_from_db()
    assert call.customer_phone_number == "" and call.customer_name == ""
    body = client.get(URL).content.decode()
    assert "Completed" in body and "1 call" in body and "1 calls" not in body
    assert "5550199" not in body


def test_it_needs_a_confirmation_and_a_valid_identifier(client, admin_user):
    client.force_login(admin_user)
    response = client.post(URL, {"phone_number": "+14045550199"})
    assert response.status_code == 400 and "cannot be undone" in response.content.decode()
    response = client.post(URL, {"phone_number": "", "email": "", "confirm": "on"})
    assert response.status_code == 400 and "Give a phone number, an email, or both." in response.content.decode()
    response = client.post(URL, {"phone_number": "not a number", "confirm": "on"})
    assert response.status_code == 400 and "not a valid phone number" in response.content.decode()
    response = client.post(URL, {"email": "nobody", "confirm": "on"})
    assert response.status_code == 400 and "not a valid email" in response.content.decode()
    assert not Erasure.objects.exists()


def test_another_account_s_erasures_are_not_listed(client, admin_user, other_account):
    theirs = erasure_request(account=other_account, email="someone@example.com", enqueue=False)
    client.force_login(admin_user)
    body = client.get(URL).content.decode()
    assert theirs.public_id not in body and "No erasure requested yet." in body
    assert Call.objects.count() == 0


def test_account_settings_link_to_it(client, admin_user):
    client.force_login(admin_user)
    assert f'href="{URL}"' in client.get(reverse("dashboard:account-settings")).content.decode()
