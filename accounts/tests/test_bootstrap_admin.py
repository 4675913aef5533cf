import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from accounts.models import Account, ApiKey, User

pytestmark = pytest.mark.django_db


def run(**options: Any) -> dict[str, Any]:
    out = StringIO()
    call_command("bootstrap_admin", json=True, stdout=out, **options)
    return json.loads(out.getvalue())


def test_it_creates_the_account_admin_and_a_key():
    result = run(email="ops@example.com", password="s3cret-pass", account_name="Ops")
    account = Account.objects.get(public_id=result["account_id"])
    user = User.objects.get(public_id=result["user_id"])
    assert account.name == "Ops"
    assert user.role == User.Role.ADMIN and user.check_password("s3cret-pass")
    assert ApiKey.objects.get(digest=ApiKey.hash(result["api_key"])).user == user


def test_it_is_idempotent_and_issues_a_new_key_each_time():
    first = run(email="ops@example.com", password="pw-123456", account_name="Ops")
    second = run(email="ops@example.com", password="pw-123456", account_name="Ops")
    assert first["account_id"] == second["account_id"]
    assert first["user_id"] == second["user_id"]
    assert first["api_key"] != second["api_key"]
    assert Account.objects.count() == 1
    assert ApiKey.objects.count() == 2


def test_the_printed_key_works_against_the_api(client):
    result = run(email="ops@example.com", password="pw-123456", account_name="Ops")
    response = client.get("/v3/a.json", HTTP_AUTHORIZATION=f'Token token="{result["api_key"]}"')
    assert response.status_code == 200
    assert response.json()["accounts"][0]["id"] == result["account_id"]
