"""Users of each role for API tests: ``manager`` and ``reporting`` see only the
companies they are given; admins see the whole account."""

from collections.abc import Iterable

from rest_framework.test import APIClient

from accounts.models import Account, Company, User
from accounts.services import api_key_create


def user_with_role(account: Account, role: str, companies: Iterable[Company] = (), email: str | None = None) -> User:
    user = User.objects.create_user(
        email=email or f"{role}-{Account.objects.count()}-{User.objects.count()}@example.com",
        password="pw",
        account=account,
        role=role,
        first_name=role.title(),
        last_name="Tester",
    )
    user.companies.set(companies)
    return user


def client_for(user: User) -> APIClient:
    _, plain = api_key_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f'Token token="{plain}"')
    return client
