"""HIPAA mode is the operator's switch: ``bootstrap_admin --hipaa`` and ``set_hipaa``."""

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Account

pytestmark = pytest.mark.django_db


def bootstrap(**options: Any) -> dict[str, Any]:
    out = StringIO()
    call_command("bootstrap_admin", json=True, stdout=out, **options)
    return json.loads(out.getvalue())


def test_bootstrap_admin_creates_a_hipaa_account_the_api_reports(client):
    result = bootstrap(email="ops@clinic.example", password="pw-123456", account_name="Clinic", hipaa=True)
    auth = f'Token token="{result["api_key"]}"'
    body = client.get(f"/v3/a/{result['account_id']}.json", HTTP_AUTHORIZATION=auth).json()
    assert body["hipaa_account"] is True


def test_without_the_flag_accounts_are_not_hipaa_and_a_rerun_can_turn_it_on():
    first = bootstrap(email="ops@clinic.example", password="pw-123456", account_name="Clinic")
    assert Account.objects.get(public_id=first["account_id"]).hipaa_account is False
    bootstrap(email="ops@clinic.example", password="pw-123456", account_name="Clinic", hipaa=True)
    assert Account.objects.get(public_id=first["account_id"]).hipaa_account is True
    # Running it again without the flag never turns HIPAA mode off.
    bootstrap(email="ops@clinic.example", password="pw-123456", account_name="Clinic")
    assert Account.objects.get(public_id=first["account_id"]).hipaa_account is True


def test_set_hipaa_switches_an_existing_account(account):
    out = StringIO()
    call_command("set_hipaa", "--account", account.public_id, "--on", stdout=out)
    account.refresh_from_db()
    assert account.hipaa_account is True
    assert "HIPAA mode is on" in out.getvalue()
    call_command("set_hipaa", "--account", str(account.numeric_id), "--off", stdout=StringIO())
    account.refresh_from_db()
    assert account.hipaa_account is False


def test_set_hipaa_needs_an_account_and_a_direction(account):
    with pytest.raises(CommandError, match="No account"):
        call_command("set_hipaa", "--account", "ACC" + "0" * 32, "--on")
    with pytest.raises(CommandError):
        call_command("set_hipaa", "--account", account.public_id)
