"""/admin/ belongs to the platform operator: account admins are no Django staff."""

import importlib
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from accounts.models import User
from accounts.services import api_key_create

pytestmark = pytest.mark.django_db


def test_bootstrap_admin_makes_an_account_admin_who_cannot_open_the_admin(client):
    call_command(
        "bootstrap_admin", email="ops@example.com", password="pw-123456", account_name="Ops", stdout=StringIO()
    )
    user = User.objects.get(email="ops@example.com")
    assert user.role == User.Role.ADMIN
    assert not user.is_staff and not user.is_superuser
    client.force_login(user)
    assert client.get("/admin/").status_code == 302  # to the admin's sign-in page


def test_createsuperuser_makes_an_operator_outside_every_customer_account(client, account):
    operator = User.objects.create_superuser(email="root@example.com", password="pw")
    assert operator.account != account
    client.force_login(operator)
    assert client.get("/admin/").status_code == 200


def test_the_migration_demotes_the_superusers_bootstrap_admin_made(account):
    made_by_bootstrap = User.objects.create_user(
        email="ops@example.com", password="pw", account=account, role=User.Role.ADMIN, is_staff=True, is_superuser=True
    )
    api_key_create(user=made_by_bootstrap, name="bootstrap")
    operator = User.objects.create_superuser(email="root@example.com", password="pw", account=account)
    migration = importlib.import_module("accounts.migrations.0004_account_admins_are_not_staff")
    migration.demote(apps, None)
    made_by_bootstrap.refresh_from_db()
    operator.refresh_from_db()
    assert not made_by_bootstrap.is_superuser and not made_by_bootstrap.is_staff
    assert made_by_bootstrap.role == User.Role.ADMIN
    assert operator.is_superuser and operator.is_staff
