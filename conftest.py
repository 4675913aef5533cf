"""Personas shared by every app's tests: ``account`` (Alice's agency) and
``other_account`` (Bob's, whose rows must stay invisible), and API clients."""

from collections.abc import Callable, Iterator

import pytest
from pytest_django import DjangoDbBlocker, Settings
from rest_framework.test import APIClient

from accounts.models import Account, Company, User
from accounts.services import api_key_create
from tracking.visit_log import visits_writer


@pytest.fixture(autouse=True)
def _fast_hasher(settings: Settings) -> None:
    # Password hashing is not under test; PBKDF2 rounds would dominate the suite.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def _group_commit_stopped(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    """The DNI visit writer keeps a connection of its own: closed before the test database is dropped."""
    yield
    with django_db_blocker.unblock():
        visits_writer.stop()


@pytest.fixture
def account(db: None) -> Account:
    return Account.objects.create(name="Alice Agency", time_zone="America/New_York")


@pytest.fixture
def other_account(db: None) -> Account:
    return Account.objects.create(name="Bob Agency")


@pytest.fixture
def admin_user(account: Account) -> User:
    return User.objects.create_user(
        email="alice@example.com", password="pw", account=account, role=User.Role.ADMIN, first_name="Alice"
    )


@pytest.fixture
def company(account: Account) -> Company:
    return Company.objects.create(account=account, name="Alice Plumbing", time_zone="America/New_York")


@pytest.fixture
def other_company(other_account: Account) -> Company:
    return Company.objects.create(account=other_account, name="Bob Roofing")


@pytest.fixture
def make_api_client() -> Callable[..., APIClient]:
    def make(user: User, quoted: bool = True) -> APIClient:
        _, plain = api_key_create(user=user)
        client = APIClient()
        header = f'Token token="{plain}"' if quoted else f"Token token={plain}"
        client.credentials(HTTP_AUTHORIZATION=header)
        client.api_key = plain  # type: ignore[attr-defined]
        return client

    return make


@pytest.fixture
def api_client(admin_user: User, make_api_client: Callable[..., APIClient]) -> APIClient:
    """An admin of ``account``."""
    return make_api_client(admin_user)


@pytest.fixture
def other_api_client(other_account: Account, make_api_client: Callable[..., APIClient]) -> APIClient:
    bob = User.objects.create_user(email="bob@example.com", password="pw", account=other_account, role=User.Role.ADMIN)
    return make_api_client(bob)
