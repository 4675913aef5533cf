import re

import pytest

from accounts.models import ApiKey, Company, Tag, User
from accounts.services import api_key_create
from telephony.models import Call
from tracking.models import Tracker

pytestmark = pytest.mark.django_db

PUBLIC_ID = r"^{}[0-9a-f]{{32}}$"


def test_ids_have_the_documented_prefixes(account, admin_user, company):
    assert re.match(PUBLIC_ID.format("ACC"), account.public_id)
    assert re.match(PUBLIC_ID.format("USR"), admin_user.public_id)
    assert re.match(PUBLIC_ID.format("COM"), company.public_id)
    assert 100_000_000 <= account.numeric_id <= 999_999_999


def test_every_model_prefix_is_unique_and_documented():
    prefixes = {model: model._meta.get_field("public_id").prefix for model in (Company, Tracker, Call)}
    assert prefixes == {Company: "COM", Tracker: "TRK", Call: "CAL"}


def test_api_keys_are_stored_hashed(admin_user):
    key, plain = api_key_create(user=admin_user)
    assert len(plain) == 32
    assert plain not in key.digest
    row = ApiKey.objects.filter(pk=key.pk).values().get()
    assert plain not in {str(value) for value in row.values()}
    assert row["digest"] == ApiKey.hash(plain)


def test_users_see_only_their_companies(account, company, make_api_client):
    other = Company.objects.create(account=account, name="Second")
    manager = User.objects.create_user(email="m@example.com", account=account, role=User.Role.MANAGER)
    manager.companies.add(company)
    assert list(manager.visible_companies()) == [company]
    admin = User.objects.create_user(email="a@example.com", account=account, role=User.Role.ADMIN)
    assert set(admin.visible_companies()) == {company, other}


def test_tags_get_integer_ids(company):
    tag = Tag.objects.create(account=company.account, company=company, name="Sales")
    assert isinstance(tag.numeric_id, int)
