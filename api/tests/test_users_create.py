from unittest import mock

import pytest
from django.core import mail

from accounts.models import User
from accounts.tasks import user_invitation_send
from api.tests.roles import assert_needs_a_key, assert_rate_limited, client_for, user_with_role
from api.tests.test_users_list import USER_KEYS

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def delay():
    # Invitations are enqueued after commit; the Celery task itself is tested directly.
    with mock.patch("accounts.tasks.user_invitation_send.delay", autospec=True) as delay:
        yield delay


def url(account):
    return f"/v3/a/{account.public_id}/users.json"


def body(company, **changes):
    data = {
        "first_name": "Bob",
        "last_name": "Belcher",
        "email": "Bob@Example.com",
        "role": "reporting",
        "companies": [company.numeric_id],
    }
    data.update(changes)
    return data


def test_it_invites_a_user(api_client, account, company, django_capture_on_commit_callbacks, delay):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(url(account), body(company), format="json")
    assert response.status_code == 200
    data = response.json()
    assert set(data) == USER_KEYS
    assert (data["email"], data["name"], data["role"]) == ("bob@example.com", "Bob Belcher", "reporting")
    assert data["companies"] == [{"id": company.public_id, "name": company.name}]
    user = User.objects.get(public_id=data["id"])
    assert user.accepted is False
    assert not user.has_usable_password()
    delay.assert_called_once_with(user.pk)


def test_the_invitation_email_lets_the_user_set_a_password(client, account, company, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    user = User.objects.create_user(email="new@example.com", account=account, role="reporting")
    user.accepted = False
    user.save()
    user_invitation_send(user.pk)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new@example.com"]
    link = next(line for line in message.body.splitlines() if "/accounts/invitation/" in line).strip()
    path = link.removeprefix(settings.PUBLIC_BASE_URL)
    page = client.get(path, follow=True)
    assert page.status_code == 200
    form_url = page.redirect_chain[-1][0]
    done = client.post(form_url, {"new_password1": "a long passphrase 42", "new_password2": "a long passphrase 42"})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.accepted is True
    assert user.check_password("a long passphrase 42")
    # Accepted invitations are not sent again.
    user_invitation_send(user.pk)
    assert len(mail.outbox) == 1


def test_admins_need_no_companies(api_client, account, company):
    data = api_client.post(url(account), body(company, role="admin", companies=[]), format="json").json()
    assert data["role"] == "admin"
    assert data["companies"] == [{"id": company.public_id, "name": company.name}]


def test_it_validates(api_client, account, company):
    response = api_client.post(url(account), body(company, companies=[]), format="json")
    assert response.status_code == 400
    assert "companies" in response.json()["error"]
    for bad in ({"role": "owner"}, {"email": "nope"}, {"first_name": ""}):
        assert api_client.post(url(account), body(company, **bad), format="json").status_code == 400
    api_client.post(url(account), body(company), format="json")
    response = api_client.post(url(account), body(company), format="json")
    assert response.status_code == 422
    assert "taken" in response.json()["error"]
    assert User.objects.filter(email="bob@example.com").count() == 1


def test_only_admins_create_users(account, company):
    manager = client_for(user_with_role(account, User.Role.MANAGER, [company]))
    response = manager.post(url(account), body(company), format="json")
    assert response.status_code == 403
    assert not User.objects.filter(email="bob@example.com").exists()


def test_companies_of_other_accounts_are_refused(api_client, account, company, other_company):
    response = api_client.post(url(account), body(company, companies=[other_company.public_id]), format="json")
    assert response.status_code == 404
    assert not User.objects.filter(email="bob@example.com").exists()


def test_it_needs_a_key(account, company):
    assert_needs_a_key("POST", f"/v3/a/{account.public_id}/users.json")


def test_it_answers_429_past_the_limit(api_client, account, company, settings):
    assert_rate_limited(api_client, "POST", f"/v3/a/{account.public_id}/users.json", settings, body=body(company))
