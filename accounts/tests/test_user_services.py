"""Managing the people of an account: invitations, roles and company access, deactivation
(sessions end at once, keys stop working), a profile's password and sessions, API keys."""

from unittest import mock

import pytest
from django.contrib.auth import authenticate, get_user
from django.test import Client, RequestFactory

from accounts.models import Account, ApiKey, AuditEvent, Company, User
from accounts.services import (
    ApiKeyRuleError,
    UserRuleError,
    api_key_create,
    api_key_revoke,
    user_access_change,
    user_deactivate,
    user_invitation_cancel,
    user_invitation_resend,
    user_invite,
    user_password_change,
    user_reactivate,
    user_sessions_end,
)
from accounts.tasks import user_invitation_send
from api.tests.roles import user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_company(account):
    return Company.objects.create(account=account, name="Alice Electric")


@pytest.fixture
def sent():
    """The users an invitation was queued for."""
    with mock.patch("accounts.services.enqueue_or_defer_on_commit") as enqueue:
        # Called as (task, user pk): the fixture reads as the list of invited users' pks.
        queued = mock.Mock()
        enqueue.side_effect = lambda task, pk: queued(pk) if task is user_invitation_send else None
        yield queued


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def can_sign_in_with(email: str, password: str) -> bool:
    # The sign-in throttle (django-axes) reads the request: authenticate as the sign-in page does.
    return authenticate(RequestFactory().post("/sign-in/"), username=email, password=password) is not None


def is_signed_in(client: Client) -> bool:
    request = mock.Mock(session=client.session)
    return get_user(request).is_authenticated


def key_works(account: Account, plain: str) -> bool:
    response = Client().get("/v3/a.json", HTTP_AUTHORIZATION=f'Token token="{plain}"')
    return response.status_code == 200


def test_a_notification_only_contact_gets_no_invitation(account, company, sent):
    contact = user_invite(
        account=account,
        email="desk@example.com",
        first_name="Front",
        last_name="Desk",
        role="notification",
        companies=[company],
    )
    sent.assert_not_called()
    assert contact.accepted and not contact.has_usable_password() and not contact.can_sign_in
    assert list(contact.companies.all()) == [company]
    with pytest.raises(ApiKeyRuleError):
        api_key_create(user=contact)


def test_an_invitation_is_resent_or_canceled_while_pending(account, company, sent):
    invited = user_invite(
        account=account, email="new@example.com", first_name="N", last_name="W", role="manager", companies=[company]
    )
    user_invitation_resend(user=invited)
    assert [call.args for call in sent.call_args_list] == [(invited.pk,), (invited.pk,)]
    user_invitation_cancel(user=invited)
    assert not User.objects.filter(pk=invited.pk).exists()
    assert list(AuditEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "user.invited",
        "user.invitation_resent",
        "user.invitation_canceled",
    ]


def test_an_accepted_invitation_cannot_be_canceled_or_resent(account, company, admin_user):
    with pytest.raises(UserRuleError):
        user_invitation_cancel(user=admin_user)
    with pytest.raises(UserRuleError):
        user_invitation_resend(user=admin_user)


def test_deactivation_ends_sessions_and_keys_at_once(account, company, admin_user):
    manager = user_with_role(account, User.Role.MANAGER, [company])
    browser = signed_in(manager)
    _, plain = api_key_create(user=manager, name="Zapier")
    assert is_signed_in(browser) and key_works(account, plain)

    user_deactivate(user=manager, actor=admin_user)
    assert not is_signed_in(browser)
    assert not key_works(account, plain)
    assert not ApiKey.objects.filter(user=manager, revoked_at__isnull=True).exists()
    assert set(AuditEvent.objects.values_list("action", flat=True)) >= {"user.deactivated", "api_key.revoked"}

    # Back with the same role and companies, but not with the old sessions or keys.
    user_reactivate(user=manager)
    manager.refresh_from_db()
    assert manager.is_active and list(manager.companies.all()) == [company]
    assert not is_signed_in(browser) and not key_works(account, plain)


def test_nobody_deactivates_themselves_or_the_last_admin(account, admin_user):
    with pytest.raises(UserRuleError, match="yourself"):
        user_deactivate(user=admin_user, actor=admin_user)
    with pytest.raises(UserRuleError, match="at least one active administrator"):
        user_deactivate(user=admin_user, actor=None)
    second = user_with_role(account, User.Role.ADMIN)
    user_deactivate(user=admin_user, actor=second)
    admin_user.refresh_from_db()
    assert not admin_user.is_active


def test_a_role_change_keeps_an_admin_and_records_access(account, company, second_company, admin_user):
    manager = user_with_role(account, User.Role.MANAGER, [company])
    with pytest.raises(UserRuleError, match="at least one active administrator"):
        user_access_change(user=admin_user, role=User.Role.MANAGER, companies=[company], actor=manager)
    with pytest.raises(UserRuleError, match="your own role"):
        user_access_change(user=admin_user, role=User.Role.MANAGER, companies=[company], actor=admin_user)

    user_access_change(user=manager, role=User.Role.REPORTING, companies=[second_company], actor=admin_user)
    manager.refresh_from_db()
    assert manager.role == User.Role.REPORTING and list(manager.companies.all()) == [second_company]
    (entry,) = AuditEvent.objects.filter(action="user.access_changed")
    assert entry.changes == {"role": ["manager", "reporting"], "companies": [["Alice Plumbing"], ["Alice Electric"]]}

    user_access_change(user=manager, role=User.Role.ADMIN, companies=[company], actor=admin_user)
    assert list(manager.companies.all()) == []  # admins reach every company without a list


def test_becoming_notification_only_takes_access_away_and_back(account, company, admin_user, sent):
    manager = user_with_role(account, User.Role.MANAGER, [company])
    browser = signed_in(manager)
    _, plain = api_key_create(user=manager)
    user_access_change(user=manager, role=User.Role.NOTIFICATION, companies=[company], actor=admin_user)
    assert not is_signed_in(browser) and not key_works(account, plain)
    assert not can_sign_in_with(manager.email, "pw")
    sent.assert_not_called()

    user_access_change(user=manager, role=User.Role.REPORTING, companies=[company], actor=admin_user)
    manager.refresh_from_db()
    assert manager.accepted is False
    sent.assert_called_once_with(manager.pk)


def test_ending_sessions_and_changing_the_password_end_the_others(account, admin_user):
    other_browser = signed_in(admin_user)
    user_sessions_end(user=admin_user)
    assert not is_signed_in(other_browser)

    other_browser = signed_in(admin_user)
    user_password_change(user=admin_user, password="a new passphrase 42")
    assert not is_signed_in(other_browser)
    assert can_sign_in_with(admin_user.email, "a new passphrase 42")
    actions = list(AuditEvent.objects.filter(action__startswith="user.").values_list("action", flat=True))
    assert sorted(actions) == ["user.password_changed", "user.sessions_ended"]


def test_a_revoked_key_stops_at_once_and_is_recorded(account, admin_user):
    key, plain = api_key_create(user=admin_user, name="Reports")
    assert key.digest == ApiKey.hash(plain) and plain not in key.digest and key.prefix == plain[:8]
    assert key_works(account, plain)
    api_key_revoke(key=key)
    api_key_revoke(key=key)  # idempotent
    assert not key_works(account, plain)
    assert list(AuditEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "api_key.created",
        "api_key.revoked",
    ]
